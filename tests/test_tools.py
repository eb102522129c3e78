"""The project's own check tools."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "tools" / "valgrind_report.py"

OURS = """==7== Conditional jump or move depends on uninitialised value(s)
==7==    at 0x1: forward (csrc/trampoline.c:40)
==7==    by 0x2: cu_trampoline (_clusupgrade.abi3.so)
==7== 
"""
CPYTHON_ONLY = """==7== Use of uninitialised value of size 8
==7==    at 0x1: maybe_small_long (longobject.c:71)
==7== 
"""
INVALID = """==7== Invalid write of size 8
==7==    at 0x1: list_ass_item (listobject.c:700)
==7==  Address 0x2 is 0 bytes after a block of size 16 alloc'd
==7== 
"""


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    if not REPORT.exists():
        pytest.skip("tools/ is not part of this tree")
    spec = importlib.util.spec_from_file_location("valgrind_report", REPORT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("log", "fails"), [(OURS, True), (CPYTHON_ONLY, False), (INVALID, True), ("", False)])
def test_valgrind_report(report, tmp_path: Path, log: str, fails: bool) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "memcheck.log"
    path.write_text(log)
    assert report.main([str(path)]) == (1 if fails else 0)
    blocks = report.blocks(log)
    assert all(block[0].strip() for block in blocks)
    if log:
        assert len(blocks[0]) >= 2, "the stack belongs to its error"

