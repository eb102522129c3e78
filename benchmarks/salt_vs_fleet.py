"""How long a raise of N simulated clusters takes through Salt, against
upgrade_many() on one host (the same N estates).  A benchmark, not a test.

    bash benchmarks/salt_vs_fleet.sh      # Salt's virtual environment, a temporary root

Salt: a real salt-master and N salt-minions on loopback (tools/salt/lab.py),
each with its own simulated cluster (an estate file); measured from
publishing `salt '*' clusupgrade.raise_level` to the last minion's return:
each minion runs the preflight (read + check) and the raise, and fires its
phases and result on the event bus.  One host: upgrade_many() over the same
estates, max_parallel=N; measured around the iteration alone, and again
with the preflight that Salt's raise_level makes first
(clusupgrade.preflight() per cluster, all at once in threads).  Each figure is the median
of REPEAT runs; between runs the estates' state files are removed, so each
run raises 11 to 12 (on one host: state="reset").  Startup of the daemons is not measured.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import clusupgrade

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "salt"))
import lab  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
COUNTS = [int(n) for n in os.environ.get("BENCH_CLUSTERS", "4,8").split(",")]
DELAYS = [float(d) for d in os.environ.get("BENCH_DELAYS", "0,0.2").split(",")]


def reset(estates: list[Path]) -> None:
    for path in estates:
        for extra in path.parent.glob(path.name + ".*"):
            extra.unlink()


def salt_run(the_lab: lab.Lab, n: int) -> float:
    with the_lab.client() as client:
        started = time.perf_counter()
        found = client.cmd("*", "clusupgrade.raise_level", timeout=300)
        took = time.perf_counter() - started
    outcomes = sorted(ret["outcome"] for ret in found.values() if isinstance(ret, dict))
    assert outcomes == ["raised"] * n, found
    return took


def fleet_run(estates: list[Path], *, preflight: bool) -> float:
    sims = [clusupgrade.Simulator.from_file(p, state="reset") for p in estates]
    started = time.perf_counter()
    if preflight:  # all at once, as the minions make theirs
        with ThreadPoolExecutor(max_workers=len(sims)) as pool:
            list(pool.map(clusupgrade.preflight, sims))
    fleet = clusupgrade.upgrade_many(sims, max_parallel=len(sims))
    for _ in fleet:
        pass
    took = time.perf_counter() - started
    assert all(isinstance(o, clusupgrade.UpgradeResult) and o.raised for o in fleet.outcomes), fleet.outcomes
    return took


def measure(root: Path, n: int, delay: float) -> tuple[float, float, float]:
    minions = [lab.Minion(f"b{i:02d}", [lab.Cluster(f"bench-{i:02d}", delay=delay)]) for i in range(n)]
    the_lab = lab.Lab(root / f"n{n}-d{delay}", minions)
    the_lab.start()
    try:
        estates = [the_lab.estate_file(m) for m in minions]
        salt_times = []
        for _ in range(REPEAT):
            time.sleep(1)  # the last job's process has written its state back and gone
            reset(estates)
            salt_times.append(salt_run(the_lab, n))
    finally:
        the_lab.stop()
    local = root / f"local-n{n}-d{delay}"
    copies = []
    for m in minions:
        target = local / m.id / "estate.toml"
        target.parent.mkdir(parents=True)
        shutil.copy(the_lab.estate_file(m), target)
        copies.append(target)
    fleet_times, with_preflight = [], []
    for _ in range(REPEAT):  # state="reset": each run starts from the file again
        fleet_times.append(fleet_run(copies, preflight=False))
        with_preflight.append(fleet_run(copies, preflight=True))
    return statistics.median(salt_times), statistics.median(fleet_times), statistics.median(with_preflight)


def main() -> int:
    root = Path(os.environ.get("CLUSUPGRADE_SALT_ROOT") or tempfile.mkdtemp(prefix="cus-salt."))
    import salt.version

    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
          f"Salt {salt.version.__version__}, clusupgrade {clusupgrade.__version__}, median of {REPEAT}")
    print("| clusters | delay per phase | Salt (raise_level on N minions) | upgrade_many() "
          "| preflight + upgrade_many() |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for delay in DELAYS:
        for n in COUNTS:
            salt_s, fleet_s, both_s = measure(root, n, delay)
            print(f"| {n} | {delay:g} s | {salt_s:.2f} s | {fleet_s:.3f} s | {both_s:.3f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
