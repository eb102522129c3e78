"""Which tests each CI stage runs: the one table (docs/ci.md says why).

The Linux run (tools/test.sh) and one Windows interpreter under Wine run
every test.  The other stages each have one thing to prove, and run the
tests that can prove it; conftest.py turns this table into pytest markers,
and the stages select them with ``-m``:

native     the debug interpreter and AddressSanitizer+UBSan
           (tools/check-native.sh debug, asan): every test that drives the C
           extension.  Left out: the command line (its processes run the
           same native paths as the library tests, through pure-Python
           argument parsing and output), the pure-Python parsers, the import
           graph and the tools' own tests.
lsan       LeakSanitizer, on in the ASan+UBSan run of these (check-native.sh
           asan): ``native`` less the tests whose processes exit with calls
           still in flight, which LeakSanitizer cannot scan (it stops every
           thread at exit); those run with it off.
valgrind   memcheck (check-native.sh valgrind): the phase, cancel,
           validation and error paths.  Ten times slower than a plain run,
           so opt-in only: a new file never joins it by default.
installed  the installed wheel on the CPythons that do not run the whole
           suite (tools/check-packaging.sh: the Linux wheel on 3.11, 3.12
           and 3.13 and the sdist; tools/wine/test.sh on Windows 3.11 and
           3.12): that it imports and works there.  The extension as an
           object, phases, cancelling, errors and validation, fleets,
           asyncio, the simulator's model, cluster_info and preflight, the
           Windows backend (test_windows.py, Windows only), and a smoke test
           of the command line and its console script.

A test file not named below is in every suite but valgrind: a new test runs
everywhere until someone decides, here, that a stage proves nothing with it.
Keys are a file name, or ``file::test`` (the function's name, all its
parameters) for a part of a file.
"""

from __future__ import annotations

SUITES: dict[str, str] = {
    "native": "drives the C extension: debug interpreter and ASan+UBSan (tools/check-native.sh)",
    "lsan": "native, less the processes that exit with calls in flight: ASan with LeakSanitizer on",
    "valgrind": "valgrind memcheck's subset (tools/check-native.sh valgrind)",
    "installed": "the installed wheel on the CPythons that do not run the whole suite",
}

DEFAULT: frozenset[str] = frozenset({"native", "lsan", "installed"})
"""The suites of a test file not named in TABLE."""

_ALL_NATIVE = frozenset({"native", "lsan"})
_NATIVE_INSTALLED = frozenset({"native", "lsan", "installed"})
_NONE: frozenset[str] = frozenset()

TABLE: dict[str, frozenset[str]] = {
    # The native core: every sanitizer, and the installed wheel everywhere.
    "test_phases.py": _NATIVE_INSTALLED | {"valgrind"},
    "test_cancel.py": _NATIVE_INSTALLED | {"valgrind"},
    "test_validation.py": _NATIVE_INSTALLED | {"valgrind"},
    "test_errors.py": _NATIVE_INSTALLED | {"valgrind"},
    "test_module.py": _NATIVE_INSTALLED,
    "test_fleet.py": _NATIVE_INSTALLED,
    "test_asyncio.py": _NATIVE_INSTALLED,
    "test_model.py": _NATIVE_INSTALLED,
    "test_info.py": _NATIVE_INSTALLED,
    "test_preflight.py": _NATIVE_INSTALLED,
    "test_duration.py": _NATIVE_INSTALLED,
    # The Windows backend: skipped off Windows; on every Windows CPython.
    "test_windows.py": frozenset({"installed"}),
    # Native, but what they prove does not depend on how the package was
    # installed or on the CPython minor version beyond what the core shows;
    # the Linux run and the whole-suite Windows run cover them.
    "test_job.py": _ALL_NATIVE,
    "test_relay.py": _ALL_NATIVE,
    "test_concurrency.py": _ALL_NATIVE,
    "test_stream_hardening.py": _ALL_NATIVE,
    "test_process_shapes.py": _ALL_NATIVE,
    "test_native_edges.py": _ALL_NATIVE,
    "test_properties.py": _ALL_NATIVE,
    "test_refleaks.py": _ALL_NATIVE,  # runs only under the debug interpreter
    "test_review.py": _ALL_NATIVE,  # the orchestration review's defects, each at its native edge
    # Processes that exit with calls in flight: not for LeakSanitizer.
    "test_shutdown.py": frozenset({"native"}),
    "test_stress.py": frozenset({"native"}),
    # Pure Python: the sanitizers and valgrind see nothing new here.
    "test_proplist.py": _NONE,
    "test_imports.py": frozenset({"installed"}),
    "test_logging.py": _NONE,
    "test_tools.py": _NONE,
    "test_retry.py": _NONE,
    "test_suites.py": frozenset({"installed"}),
    "test_remedies.py": _NONE,
    "test_docs_sources.py": _NONE,
    "test_salt_modules.py": _NONE,
    # Estates: the simulator through Python-side locks and files; the
    # whole-suite runs (Linux, Windows 3.13 with msvcrt's locks) cover it.
    "test_estate.py": _NONE,
    # The command line: a smoke test on every installed wheel, the rest in
    # the whole-suite runs.
    "test_cli.py": _NONE,
    "test_cli.py::test_console_script_is_installed": frozenset({"installed"}),
    "test_cli.py::test_run_simulated_shows_every_step": frozenset({"installed"}),
    "test_cli.py::test_json_is_one_object_per_line_and_nothing_else": frozenset({"installed"}),
    "test_cli.py::test_check_ready_and_not_ready": frozenset({"installed"}),
    "test_cli_args.py": _NONE,
    "test_cli_cluster.py": _NONE,
    "test_cli_fleet.py": _NONE,
    "test_cli_safety.py": _NONE,
    "test_cli_records.py": _NONE,
    "test_cli_docs.py": _NONE,
    # The docs' examples: the whole-suite Linux run (the Markdown files are
    # beside the tests there); skipped on Windows.
    "test_docs.py": _NONE,
}


def suites_of(file: str, function: str) -> frozenset[str]:
    """The suites of test `function` (its name without parameters) in
    `file` (a file name such as "test_cli.py")."""
    key = f"{file}::{function}"
    if key in TABLE:
        return TABLE[key]
    return TABLE.get(file, DEFAULT)
