"""A real Salt master and minions on loopback, inside one temporary root.

Used by tools/check-salt.sh (tests/salt/), tools/salt/demo.sh and
benchmarks/salt_vs_fleet.py; run with the Python of the virtual
environment that has Salt and clusupgrade installed.

Nothing outside the root is touched: every configuration, key, socket,
cache, log and PID file lies under it; the daemons listen on free loopback
ports; each daemon is started in a process group of its own, whose id is
written to ROOT/pgids, so that whoever started them (this module's stop(),
or the shell's trap in check-salt.sh) can kill every process of it.

As a command:

    python tools/salt/lab.py up ROOT [--minions 3] [--delay 0.2]
    python tools/salt/lab.py down ROOT

``up`` writes a three-cluster simulated estate (one cluster per minion,
each in its own estate file under that minion's allowed directory), starts
the master and the minions, waits until every minion answers, and prints
the configuration directory to pass to ``salt -c``.
"""

from __future__ import annotations

import argparse
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
USER = pwd.getpwuid(os.getuid()).pw_name
"""The daemons run as whoever runs the lab (root in CI): `user:` says so."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_lines(config: dict[str, object], indent: str = "") -> list[str]:
    """Just enough YAML for Salt's configuration files."""
    lines = []
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines += yaml_lines(value, indent + "  ")
        elif isinstance(value, list):
            lines.append(f"{indent}{key}:")
            lines += [f"{indent}  - {yaml_scalar(v)}" for v in value]
        else:
            lines.append(f"{indent}{key}: {yaml_scalar(value)}")
    return lines


# --------------------------------------------------------------------------
# Simulated estates.


@dataclass
class Cluster:
    """One simulated cluster of an estate file."""

    name: str
    level: int = 11
    paused: str | None = None
    """A node left paused: the cluster is not ready."""
    status: int | None = None
    """A scripted return code of the raise (5975: raised, restart needed)."""
    delay: float = 0.0
    nodes: tuple[str, ...] = ("HV1", "HV2", "HV3")
    highest: int | None = None
    """The highest level each node supports (None: what its build supports, 12)."""

    def toml(self) -> str:
        lines = ["[[clusters]]", f'name = "{self.name}"', f"functional_level = {self.level}"]
        if self.delay:
            lines.append(f"delay = {self.delay}")
        if self.status is not None:
            lines += ["", "[clusters.upgrade]", f"fail_code = {self.status}"]
        for node in self.nodes:
            lines += ["", "[[clusters.nodes]]", f'name = "{node}"', "os_build = 26100"]
            if self.highest is not None:
                lines.append(f"highest_level = {self.highest}")
            if node == self.paused:
                lines.append('state = "paused"')
        return "\n".join(lines) + "\n"


def write_estate(path: Path, clusters: list[Cluster]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# A simulated estate written by tools/salt/lab.py.\n\n" + "\n".join(c.toml() for c in clusters))
    return path


# --------------------------------------------------------------------------
# The daemons.


@dataclass
class Minion:
    id: str
    estate: list[Cluster]
    """The clusters of the estate file this minion rehearses on (its own
    cluster first); the file lies under the minion's allowed directory."""
    extra: dict[str, object] = field(default_factory=dict)
    grains: dict[str, object] = field(default_factory=dict)

    @property
    def cluster(self) -> str:
        return self.estate[0].name


@dataclass
class Lab:
    root: Path
    minions: list[Minion]
    sls: dict[str, str] = field(default_factory=dict)
    """State files for the master's file_roots: name -> text."""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.conf = self.root / "etc"
        self.publish_port = free_port()
        self.ret_port = free_port()

    # -- paths

    def estate_dir(self, minion: Minion) -> Path:
        return self.root / minion.id / "estates"

    def estate_file(self, minion: Minion) -> Path:
        return self.estate_dir(minion) / f"{minion.cluster}.toml"

    @property
    def master_config(self) -> Path:
        return self.conf / "master"

    # -- configuration

    def write(self) -> None:
        self.conf.mkdir(parents=True, exist_ok=True)
        base = self.root / "master"
        srv = self.root / "srv" / "salt"
        srv.mkdir(parents=True, exist_ok=True)
        for name, text in self.sls.items():
            (srv / f"{name}.sls").parent.mkdir(parents=True, exist_ok=True)
            (srv / f"{name}.sls").write_text(text)
        master = {
            "id": "lab-master",
            "user": USER,
            "root_dir": str(base),
            "interface": "127.0.0.1",
            "publish_port": self.publish_port,
            "ret_port": self.ret_port,
            "auto_accept": True,
            "pki_dir": str(base / "pki"),
            "cachedir": str(base / "cache"),
            "sock_dir": str(base / "sock"),
            "pidfile": str(base / "master.pid"),
            "log_file": str(base / "master.log"),
            "log_level_logfile": "info",
            "key_logfile": str(base / "key.log"),
            "file_roots": {"base": [str(srv)]},
            "pillar_roots": {"base": [str(self.root / "srv" / "pillar")]},
            "worker_threads": 3,
            "enable_fqdns_grains": False,
            "keep_jobs_seconds": 3600,
        }
        self.master_config.write_text("\n".join(yaml_lines(master)) + "\n")
        for minion in self.minions:
            home = self.root / minion.id
            write_estate(self.estate_file(minion), minion.estate)
            config: dict[str, object] = {
                "id": minion.id,
                "user": USER,
                "root_dir": str(home),
                "master": "127.0.0.1",
                "master_port": self.ret_port,
                "publish_port": self.publish_port,
                "pki_dir": str(home / "pki"),
                "cachedir": str(home / "cache"),
                "sock_dir": str(home / "sock"),
                "pidfile": str(home / "minion.pid"),
                "log_file": str(home / "minion.log"),
                "log_level_logfile": "info",
                "enable_fqdns_grains": False,
                "grains_cache": True,
                "acceptance_wait_time": 1,
                "random_reauth_delay": 0,
                "clusupgrade.estate_dirs": [str(self.estate_dir(minion))],
                "clusupgrade.simulate": str(self.estate_file(minion)),
                "grains": {"clusupgrade_cluster": minion.cluster, **minion.grains},
                **minion.extra,
            }
            (self.conf / minion.id).mkdir(parents=True, exist_ok=True)
            (self.conf / minion.id / "minion").write_text("\n".join(yaml_lines(config)) + "\n")

    # -- processes

    def _spawn(self, args: list[str], log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=self.root)
        self.procs.append(proc)
        with open(self.root / "pgids", "a") as pgids:
            pgids.write(f"{proc.pid}\n")

    def start(self, timeout: float = 180.0) -> None:
        """Start the master, then the minions; return when every minion
        answers test.ping through the master."""
        self.write()
        self._spawn([str(BIN / "salt-master"), "-c", str(self.conf), "-l", "error"], self.root / "master.out")
        self._wait_master(timeout)
        for minion in self.minions:
            self._spawn([str(BIN / "salt-minion"), "-c", str(self.conf / minion.id), "-l", "error"],
                        self.root / f"{minion.id}.out")
        self.wait_minions(timeout)

    def _wait_master(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                socket.create_connection(("127.0.0.1", self.ret_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"salt-master did not listen on 127.0.0.1:{self.ret_port} within {timeout:g} s")

    def _check_alive(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; see the logs under {self.root}")

    def wait_minions(self, timeout: float) -> None:
        import salt.client

        ids = {m.id for m in self.minions}
        deadline = time.monotonic() + timeout
        with salt.client.LocalClient(mopts=self.master_opts()) as client:
            while time.monotonic() < deadline:
                self._check_alive()
                answered = client.cmd(sorted(ids), "test.ping", tgt_type="list", timeout=5)
                if set(answered) == ids and all(v is True for v in answered.values()):
                    return
                time.sleep(1)
        raise TimeoutError(f"not every minion answered within {timeout:g} s; see the logs under {self.root}")

    def client(self):  # type: ignore[no-untyped-def]
        import salt.client

        return salt.client.LocalClient(mopts=self.master_opts())

    def master_opts(self):  # type: ignore[no-untyped-def]
        import salt.config

        return salt.config.master_config(str(self.master_config))

    def event_bus(self):  # type: ignore[no-untyped-def]
        """A listener on the master's event bus (subscribe before the jobs)."""
        import salt.utils.event

        opts = self.master_opts()
        return salt.utils.event.get_master_event(opts, opts["sock_dir"], listen=True)

    def stop(self) -> None:
        """Kill every process group this lab started, and wait for them."""
        stop_groups(self.root)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass


def stop_groups(root: Path) -> None:
    """SIGTERM, then SIGKILL, each process group listed in ROOT/pgids."""
    try:
        pgids = [int(line) for line in (root / "pgids").read_text().split()]
    except OSError:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pgid in pgids:
            try:
                os.killpg(pgid, sig)
                alive.append(pgid)
            except ProcessLookupError:
                pass
        if not alive:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_group_alive(p) for p in alive):
            time.sleep(0.2)
        pgids = alive


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --------------------------------------------------------------------------
# The three-cluster estate of docs/salt.md.


DEMO_SLS = """\
# The cluster this minion rehearses on, raised once (docs/salt.md).
{{ grains['clusupgrade_cluster'] }}:
  clusupgrade.level_raised: []
"""


ORCH_SLS = """\
# Raise the estate in waves (docs/salt.md): each wave is the minions whose
# grain clusupgrade_wave says so, a few at a time (batch); a wave with more
# than allow_fail failed minions fails, and the waves after it do not start.
{% for wave in [1, 2] %}
wave-{{ wave }}:
  salt.state:
    - tgt: 'clusupgrade_wave:{{ wave }}'
    - tgt_type: grain
    - sls: clusupgrade
    - batch: 2
    - allow_fail: 0
{% if wave > 1 %}
    - require:
      - salt: wave-{{ wave - 1 }}
{% endif %}
{% endfor %}
"""


def demo_lab(root: Path, count: int = 3, delay: float = 0.2) -> Lab:
    """`count` minions site-1.., each rehearsing on its own cluster-N; site-1
    in wave 1, the others in wave 2."""
    minions = [
        Minion(f"site-{i}", [Cluster(f"cluster-{i}", delay=delay)], grains={"clusupgrade_wave": 1 if i == 1 else 2})
        for i in range(1, count + 1)
    ]
    return Lab(root, minions, sls={"clusupgrade": DEMO_SLS, "orch/raise_estate": ORCH_SLS})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up")
    up.add_argument("root", type=Path)
    up.add_argument("--minions", type=int, default=3)
    up.add_argument("--delay", type=float, default=0.2, help="seconds between simulated phases")
    down = sub.add_parser("down")
    down.add_argument("root", type=Path)
    options = parser.parse_args(argv)
    if options.command == "down":
        stop_groups(options.root)
        return 0
    lab = demo_lab(options.root, options.minions, options.delay)
    try:
        lab.start()
    except BaseException:
        lab.stop()
        raise
    print(lab.conf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
