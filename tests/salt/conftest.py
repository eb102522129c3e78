"""A real salt-master and salt-minions for the tests in this directory.

Collected only where Salt is importable (tools/check-salt.sh runs them in a
virtual environment of their own); the main suite skips this directory.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HAVE_SALT = importlib.util.find_spec("salt") is not None
collect_ignore_glob = [] if HAVE_SALT else ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "salt"))

import lab  # noqa: E402  (tools/salt/lab.py)

SLS = """\
{{ grains['clusupgrade_cluster'] }}:
  clusupgrade.level_raised: []
"""

TWICE = """\
first:
  clusupgrade.level_raised:
    - cluster: site-a-double
    - simulate: {path}
second:
  clusupgrade.level_raised:
    - cluster: site-a-double
    - simulate: {path}
"""

MINIONS = [
    lab.Minion("m-a", [lab.Cluster("site-a", delay=0.05)]),
    lab.Minion("m-b", [lab.Cluster("site-b", delay=0.05)]),
    lab.Minion("m-c", [lab.Cluster("site-c", status=5975, delay=0.05)]),
    lab.Minion("m-d", [lab.Cluster("site-d", paused="HV3")]),
]
"""Each minion with its own simulated cluster: two ready, one whose raise
returns 5975 (raised, restart needed), one not ready (a node paused)."""


@pytest.fixture(scope="session")
def salt_lab() -> Iterator[lab.Lab]:
    given = os.environ.get("CLUSUPGRADE_SALT_ROOT")
    root = Path(given) if given else Path(tempfile.mkdtemp(prefix="cus-salt."))
    the_lab = lab.Lab(root, MINIONS, sls={"clusupgrade": SLS})
    # Beside m-a's own estate: a slow cluster (the master stops waiting for
    # it), and outside every allowed directory, an estate a job may not name.
    lab.write_estate(the_lab.estate_dir(MINIONS[0]) / "slow.toml", [lab.Cluster("site-a-slow", delay=0.6)])
    # And one whose nodes support three more levels, named twice in one state file.
    double = lab.write_estate(the_lab.estate_dir(MINIONS[0]) / "double.toml",
                              [lab.Cluster("site-a-double", highest=14)])
    the_lab.sls["twice"] = TWICE.format(path=double)
    lab.write_estate(root / "outside" / "outside.toml", [lab.Cluster("outside")])
    try:
        the_lab.start()
        yield the_lab
    finally:
        the_lab.stop()
