"""info, and check or run on one cluster: step k of 5 as it happens."""

from __future__ import annotations

from typing import TextIO

from . import api
from .cli_cluster import (
    check_verdict,
    info_json,
    info_lines,
    levels_of,
    nodes_of,
    read_info,
    run_verdict,
    upgrade_version_of,
)
from .cli_codes import EXIT_FAILED, EXIT_NOT_CONFIRMED, EXIT_OK, Verdict, code_name
from .cli_render import phase_line, phase_record, restart_warning, result_record, where
from .cli_session import Session, log, note_simulator
from .errors import ClusterUpgradeError
from .phase import PhaseEvent
from .result import UpgradeResult
from .stream import PhaseStream


def info(session: Session) -> int:
    options = session.options
    name = options.names[0]
    session.stage = "info"
    try:
        facts = read_info(options.target(name), options.timeout)
    except ClusterUpgradeError as err:
        return session.failed(err, performed=False).exit_code
    session.stage = "done"
    nodes, upgrade_version = nodes_of(facts), upgrade_version_of(facts)

    def show() -> None:
        session.emit(info_json(facts, nodes, upgrade_version))
        session.conclude(info_lines(facts, nodes, upgrade_version))

    session.observe("the cluster's information", show)
    return EXIT_OK


def call(session: Session, stdin: TextIO | None) -> int:
    """check or run on one cluster."""
    options = session.options
    name = options.names[0]
    perform = options.perform
    if perform and not session.confirm(stdin, options.names):
        session.not_confirmed()
        return EXIT_NOT_CONFIRMED
    session.stage = "setup"
    target = options.target(name)
    simulated = " (simulated)" if options.simulate else ""
    session.show(f"{'Raising the functional level of' if perform else 'Checking'} {where(name)}{simulated}")
    log.info("%s: %s%s started", where(name), "raise" if perform else "check", simulated)
    stream = api.phases(target, perform=perform, timeout=options.timeout)
    session.stage = "raise" if perform else "check"
    try:
        _watch(session, stream, perform)
    except ClusterUpgradeError as err:
        session.stage = "done"
        verdict = session.failed(err, performed=perform)
        note_simulator(name, target, err)
        return verdict.exit_code
    except KeyboardInterrupt as exc:
        return session.interrupted(exc, running=(name,))
    session.stage = "done"
    note_simulator(name, target, stream.result)
    if stream.result is None:  # only an interpreter shutting down ends a stream so
        session.console.tell(f"clusupgrade: {where(name)}: the call ended without an outcome")
        return EXIT_FAILED
    return _outcome(session, stream.result)


def _watch(session: Session, stream: PhaseStream, perform: bool) -> None:
    """Every phase, shown; nothing shown can leave the call."""

    def show(event: PhaseEvent) -> None:
        if session.options.json:
            session.emit(phase_record(event, perform))
        else:
            session.console.say(phase_line(event))

    with stream:
        for event in stream:
            session.observe("a phase", lambda: show(event))  # noqa: B023 - called at once


def _outcome(session: Session, result: UpgradeResult) -> int:
    name = result.cluster
    levels = levels_of(result)
    verdict: Verdict = run_verdict(name, levels) if result.performed else check_verdict(name, result)

    def show() -> None:
        session.emit(result_record(result, verdict, levels))
        took = f"{result.duration:.2f} s"
        if result.performed:
            line = f"Done in {took}: {verdict.sentence}."
        else:
            line = f"Check passed in {took}: {verdict.sentence}."
            if result.status:
                line += f" (The check returned {result.status} {code_name(result.status) or ''}.)"
        session.conclude([line])
        if result.performed and result.restart_required:
            session.console.tell(restart_warning(name))

    session.observe("the outcome", show)
    return verdict.exit_code
