"""docs/sources.md: its Python examples run as written, and its error table
is what the package prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusupgrade import _winerror, remedies
from clusupgrade.outcome import FIX_FIRST

DOC = Path(__file__).resolve().parent.parent / "docs" / "sources.md"
TEXT = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
pytestmark = pytest.mark.skipif(not TEXT, reason="docs/sources.md is not beside the tests")
EXAMPLES = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_examples_run_as_written(number: int, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(EXAMPLES[number], f"{DOC}:example {number + 1}", "exec"), {})
    assert capsys.readouterr().out


def test_the_error_table_is_what_the_package_prints() -> None:
    for code, entry in _winerror.CODES.items():
        advice = remedies.advice(code, cluster="hv-cluster") or "—"
        row = (f"| {code} | `{entry.name}` | {'not ready' if code in FIX_FIRST else ''} | {entry.text} | "
               f"{advice.replace('|', chr(92) + '|')} |")
        assert row in TEXT, row
    for cmdlet, params in remedies.CMDLETS.items():
        assert f"| `{cmdlet}` | {', '.join('-' + p for p in sorted(params))} |" in TEXT


def test_the_level_table_is_what_the_package_says() -> None:
    from clusupgrade.levels import level_words

    for level in (8, 9, 10, 11, 12, 13):
        assert f"| {level} | {level_words(level)} |" in TEXT


def test_the_upgrade_version_table_is_the_simulators() -> None:
    from clusupgrade.simulator import LEVEL_OF_BUILD, UPGRADE_VERSION_OF_BUILD

    for build, upgrade in UPGRADE_VERSION_OF_BUILD.items():
        level = LEVEL_OF_BUILD[build]
        assert f"| {build} |" in TEXT and f"| {level}.{upgrade} (0x{level:04x}{upgrade:04x}) |" in TEXT
