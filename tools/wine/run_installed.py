"""run_installed.py PYTEST_ARGS...: runs pytest, with the Windows
interpreter that runs this script, against the clusupgrade that pip
installed into that interpreter's site-packages, and fails if the tests
would import any other (a source tree on sys.path, a staged build).

tools/wine/test.sh runs it from a scratch directory outside the source
tree, with the test files given by their full path.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

import clusupgrade

SITE = Path(sysconfig.get_paths()["platlib"]).resolve()


def installed_file(module: object) -> Path:
    """Where `module` was imported from, checked to be in SITE."""
    where = Path(getattr(module, "__file__", "") or "").resolve()
    if SITE not in where.parents:
        raise SystemExit(f"run_installed: {module!r} is not the installed package (expected it in {SITE})")
    return where


class StillInstalled:
    """Checks, once the tests have imported what they import, that every
    clusupgrade module they saw came from site-packages."""

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for name, module in list(sys.modules.items()):
            if name == "clusupgrade" or name.startswith("clusupgrade."):
                installed_file(module)


def main(args: list[str]) -> int:
    from clusupgrade import _clusupgrade

    pyd = installed_file(_clusupgrade)
    print(f"run_installed: clusupgrade from {installed_file(clusupgrade).parent}, extension {pyd.name}")
    print(f"run_installed: Python {sys.version.split()[0]} at {sys.executable}")
    return int(pytest.main(args, plugins=[StillInstalled()]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
