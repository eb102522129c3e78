"""docs/salt.md's walk-through, tools/salt/demo.sh, as a new user runs it:
a local master and three minions, the estate raised in waves by an
orchestration, every phase seen by `salt-run state.event`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_walk_through_raises_three_clusters_and_shows_their_phases() -> None:
    env = {**os.environ, "SALT_VENV": sys.prefix, "CLUSUPGRADE_INSTALLED": "1", "DELAY": "0.05"}
    done = subprocess.run(["bash", str(ROOT / "tools" / "salt" / "demo.sh")], capture_output=True, text=True,
                          timeout=400, env=env, stdin=subprocess.DEVNULL)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    for n in (1, 2, 3):
        tags = re.findall(rf"^clusupgrade/cluster-{n}/(phase|result)\t", out, re.MULTILINE)
        assert tags == ["phase"] * 5 + ["result"], (n, tags)
    assert "Succeeded: 2 (changed=2)" in out  # both waves of the orchestration
    assert len(re.findall(r"functional_level: 12$", out, re.MULTILINE)) == 3
