#!/usr/bin/env python3
"""Rewrite the sample outputs of README.md and docs/*.md from the real program.

    python tools/docs-refresh.py            # every file
    python tools/docs-refresh.py README.md  # some

Runs what tests/test_docs.py runs (tests/docs_runner.py): each ```console
transcript's commands, and each ```python block that has a ```text output
block after it, and writes what they printed into the Markdown.  A line
whose only difference is a timing keeps its old text, so a refresh does not
churn numbers.  Blocks marked <!-- docs-test: skip (...) --> are left alone.
Run it with the package built (bash tools/test.sh does that; or use
.venv/bin/python), then review `git diff`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import docs_runner  # noqa: E402 - after the path is set


def keep_timings(old: str, new: str) -> str:
    """`new`, but each line that equals the old one once timings are masked
    keeps its old text."""
    old_lines = old.split("\n")
    masked_old = [docs_runner.mask(line) for line in old_lines]
    out = []
    for line in new.rstrip("\n").split("\n"):
        m = docs_runner.mask(line)
        out.append(old_lines[masked_old.index(m)] if m in masked_old else line)
    return "\n".join(out)


def refreshed(block: docs_runner.Block) -> tuple[docs_runner.Block, str] | None:
    """(the block to replace, its new body), or None to leave it."""
    if block.skip is not None:
        return None
    if docs_runner.is_transcript(block):
        transcript = docs_runner.run_transcript(block)
        parts = []
        for step in transcript.steps:
            parts.append(step.shown)
            if step.actual.strip():
                parts.append(keep_timings(step.expected, step.actual))
        return block, "\n".join(parts)
    if block.lang == "python" and block.output is not None and block.output.skip is None:
        stand = docs_runner.Stand()
        saved = []

        def setattr_(obj: object, name: str, value: object) -> None:
            saved.append((obj, name, getattr(obj, name)))
            setattr(obj, name, value)

        docs_runner.install(stand, setattr_)
        try:
            printed = docs_runner.run_python(block, stand)
        finally:
            for obj, name, value in reversed(saved):
                setattr(obj, name, value)
        return block.output, keep_timings(block.output.text, printed)
    return None


def refresh(path: Path) -> bool:
    lines = path.read_text(encoding="utf-8").split("\n")
    changes = [r for b in docs_runner.blocks(path) if (r := refreshed(b)) is not None]
    changed = False
    for block, body in sorted(changes, key=lambda c: c[0].line, reverse=True):
        old = lines[block.line : block.end - 1]
        new = [" " * block.indent + line if line else line for line in body.split("\n")]
        if old != new:
            lines[block.line : block.end - 1] = new
            changed = True
            print(f"{block.where}: rewritten")
    if changed:
        path.write_text("\n".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or [p for p in docs_runner.DOC_FILES if p.exists()]
    for path in paths:
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
