"""tests/suites.py, the table of which CI stage runs which tests, names
only what exists, and conftest.py marks each test with its suites."""

from __future__ import annotations

import ast

import pytest

from .conftest import ROOT
from .suites import DEFAULT, SUITES, TABLE, suites_of

TESTS = ROOT / "tests"


def test_every_entry_names_an_existing_file_or_test() -> None:
    # A renamed file or test would otherwise leave its suites silently.
    missing = []
    for key in TABLE:
        file, _, function = key.partition("::")
        if not (TESTS / file).is_file():
            missing.append(key)
        elif function:
            tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
            names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            if function not in names:
                missing.append(key)
    assert missing == []


def test_every_suite_named_is_declared() -> None:
    assert set().union(DEFAULT, *TABLE.values()) <= set(SUITES)


def test_a_file_not_in_the_table_runs_everywhere_but_valgrind() -> None:
    assert suites_of("test_not_yet_classified.py", "test_x") == {"native", "lsan", "installed"}
    assert suites_of("test_cli.py", "test_console_script_is_installed") == {"installed"}
    assert suites_of("test_cli.py", "test_info") == frozenset()


def test_conftest_marks_each_test_with_its_suites(request: pytest.FixtureRequest) -> None:
    marks = {m.name for m in request.node.iter_markers()} & set(SUITES)
    assert marks == set(suites_of("test_suites.py", "test_conftest_marks_each_test_with_its_suites"))
