"""The clusupgrade command: check and raise a cluster's functional level.

Exit codes: 0 success (5975 too, with a warning), 1 the cluster refused or
failed, 2 usage error, 3 `check` found the cluster not ready, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from . import _clusupgrade, _winerror, api
from .errors import ClusapiUnavailableError, ClusterUpgradeError
from .info import cluster_info
from .phase import Phase, PhaseEvent
from .result import UpgradeResult
from .simulator import Simulator

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_READY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
STEPS = len(Phase)


class UsageError(Exception):
    """A mistake on the command line: exit 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clusupgrade",
        description="Check and raise a Windows Server failover cluster's functional level, "
        "phase by phase. Add --simulate to rehearse on a simulated cluster, on any machine.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cluster", metavar="NAME", help="the cluster's name (default: the local cluster)")
    common.add_argument("--json", action="store_true", help="one JSON object per line on stdout, nothing else")
    common.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    sim = common.add_argument_group("simulation")
    sim.add_argument("--simulate", action="store_true", help="use a simulated cluster instead of clusapi.dll")
    sim.add_argument("--delay", type=float, default=0.4, metavar="S", help="seconds between simulated phases (0.4)")
    sim.add_argument("--fail-code", type=int, default=0, metavar="CODE", help="Win32 code the simulated call ends with")
    sim.add_argument("--fail-after", type=int, metavar="K", help="the simulated call fails after K phases")
    info = sub.add_parser("info", parents=[common], help="show the cluster's name, versions and functional level")
    info.add_argument("--level", type=int, default=10, metavar="N", help="simulated cluster's functional level (10)")
    sub.add_parser("check", parents=[common], help="ask whether the level can be raised (changes nothing)")
    run = sub.add_parser("run", parents=[common], help="raise the functional level (cannot be undone)")
    run.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _target(args: argparse.Namespace) -> str | Simulator | None:
    cluster: str | None = args.cluster
    if not args.simulate:
        return cluster
    return Simulator(
        delay=args.delay,
        status=args.fail_code,
        fail_after=args.fail_after,
        name=cluster or "simulated",
        functional_level=getattr(args, "level", 10),
    )


def _info(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        info = cluster_info(_target(args))
    except ClusterUpgradeError as err:
        if args.json:
            stdout.write(_error_json(err) + "\n")
        _report(err, stderr)
        return EXIT_FAILED
    if args.json:
        fields = dataclasses.asdict(info)
        fields.update(event="info", functional_level=info.functional_level,
                      functional_level_name=info.functional_level_name)
        stdout.write(json.dumps(fields) + "\n")
        return EXIT_OK

    def version(v: tuple[int, int] | None) -> str:
        return "unknown" if v is None else f"{v[0]}.{v[1]}"

    stdout.write(
        f"Cluster:           {info.name}\n"
        f"Functional level:  {info.functional_level} ({info.functional_level_name})\n"
        f"Cluster versions:  lowest {version(info.lowest_version)}, highest {version(info.highest_version)}\n"
        f"Mixed mode:        {'yes: nodes run different versions' if info.mixed_mode else 'no'}\n"
        f"Node OS:           {'.'.join(map(str, info.os_version))}\n"
    )
    return EXIT_OK


def _where(cluster: str | None) -> str:
    return f"cluster {cluster!r}" if cluster else "the local cluster"


def _confirm(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> bool:
    if args.yes:
        return True
    if not (stdin.isatty() and (stdin is not sys.stdin or _clusupgrade.stdin_is_terminal())):
        raise UsageError("refusing to raise the level without confirmation: stdin is not a terminal; add --yes")
    name = args.cluster if args.cluster or not args.simulate else "simulated"
    stderr.write(
        f"Raise the functional level of {_where(name)}? This cannot be undone.\n"
        "Type 'yes' to go on: "
    )
    stderr.flush()
    return stdin.readline().strip().lower() == "yes"


def _event_json(event: PhaseEvent) -> str:
    phase = event.phase
    return json.dumps(
        {
            "event": "phase",
            "cluster": event.cluster,
            "phase": int(phase),
            "name": phase.name if isinstance(phase, Phase) else None,
            "sequence": event.sequence,
            "elapsed": round(event.elapsed, 6),
            "timestamp": event.timestamp,
            "thread_id": event.thread_id,
        }
    )


def _show_event(event: PhaseEvent, out: TextIO) -> None:
    phase = event.phase
    if isinstance(phase, Phase):
        label = f"step {int(phase)} of {STEPS}: {phase.label}"
    else:
        label = f"phase {phase} (not a documented phase)"
    out.write(f"  [{event.elapsed:7.2f} s] {label}\n")
    out.flush()


def _result_json(result: UpgradeResult) -> str:
    return json.dumps(
        {
            "event": "result",
            "cluster": result.cluster,
            "performed": result.performed,
            "status": result.status,
            "complete": result.complete,
            "duration": round(result.duration, 6),
            "phases": [int(e.phase) for e in result.events],
        }
    )


def _report(err: ClusterUpgradeError, stderr: TextIO) -> None:
    hint = " On the command line, add --simulate." if isinstance(err, ClusapiUnavailableError) else ""
    stderr.write(f"clusupgrade: {err}{hint}\n")


def _error_json(err: ClusterUpgradeError) -> str:
    return json.dumps(
        {
            "event": "error",
            "cluster": err.cluster,
            "winerror": err.winerror,
            "name": _winerror.name_of(err.winerror),
            "message": str(err),
            "phases": [int(e.phase) for e in err.events],
        }
    )


def _run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    if args.command == "info":
        return _info(args, stdout, stderr)
    target = _target(args)
    perform = args.command == "run"
    if perform and not _confirm(args, stdin, stderr):
        stderr.write("Not confirmed; nothing was changed.\n")
        return EXIT_USAGE
    name = target.name if isinstance(target, Simulator) else target
    if not args.json:
        verb = "Raising the functional level of" if perform else "Checking"
        stdout.write(f"{verb} {_where(name)}{' (simulated)' if args.simulate else ''}\n")
    stream = api.phases(target, perform=perform, timeout=args.timeout)
    try:
        with stream:
            for event in stream:
                if args.json:
                    stdout.write(_event_json(event) + "\n")
                    stdout.flush()
                else:
                    _show_event(event, stdout)
    except ClusterUpgradeError as err:
        if args.json:
            stdout.write(_error_json(err) + "\n")
        _report(err, stderr)
        not_ready = not perform and err.winerror == _winerror.ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS
        return EXIT_NOT_READY if not_ready else EXIT_FAILED
    result = stream.result
    assert result is not None
    if args.json:
        stdout.write(_result_json(result) + "\n")
    elif perform:
        stdout.write(f"Done in {result.duration:.2f} s: the functional level was raised.\n")
    else:
        stdout.write(f"Ready: {_where(name)} can raise its functional level ({result.duration:.2f} s).\n")
    if result.restart_required:
        stderr.write(f"clusupgrade: warning: {_winerror.CODES[5975].advice}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args, sys.stdin, sys.stdout, sys.stderr)
    except (UsageError, TypeError, ValueError) as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"clusupgrade: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("\nclusupgrade: interrupted; later phases are answered FALSE, "
                         "but the cluster may still finish the upgrade.\n")
        return EXIT_INTERRUPTED
