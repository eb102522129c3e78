"""docs/command-line.md: every ``console`` transcript is what the command
prints today (stdout, timings aside), and the words it promises are the
command's own."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from clusupgrade.cli.codes import EXIT_TABLE
from clusupgrade.cli.endings import OUTCOMES

from .test_cli import LINUX_COVERS, cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "command-line.md"
TIMING = re.compile(r"\d+\.\d\d s\b")


def transcripts() -> list[tuple[str, list[str]]]:
    """(command line, expected stdout lines) of each ```console block."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL):
        lines = block.splitlines()
        assert lines[0].startswith("$ clusupgrade "), lines[0]
        found.append((lines[0][2:], lines[1:]))
    return found


def _masked(lines: list[str]) -> list[str]:
    return [TIMING.sub("#.## s", line) for line in lines]


@LINUX_COVERS
@pytest.mark.parametrize(("command", "expected"), transcripts(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_transcript_is_real_output(command: str, expected: list[str]) -> None:
    args = shlex.split(command)[1:]
    proc = cli(*args)
    assert "Traceback" not in proc.stderr
    assert _masked(proc.stdout.splitlines()) == _masked(expected)


def test_the_docs_name_every_outcome_and_exit_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for word in OUTCOMES:
        assert f"| {word} |" in text, word
    for code, meaning in EXIT_TABLE:
        assert f"| {code} | {meaning} |" in text
