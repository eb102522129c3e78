"""info, and check or run on one cluster: step k of 5 as it happens.

check and run both start with a preflight: the cluster's facts (its level,
its nodes), then the check (perform=False), judged together the way
preflight() judges them.  check shows the check's phases; run asks before
the confirmation prompt, so that the prompt can say "from level 11 to 12"
and a cluster that refuses is not raised at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from .. import _winerror, api
from ..errors import ClusapiUnavailableError, ClusterUpgradeError
from ..outcome import restart_needed
from ..phase import PhaseEvent
from ..preflight import Preflight
from ..result import UpgradeResult
from ..target import Target
from .cluster import (
    info_json,
    info_lines,
    judged,
    level_text,
    levels_of,
    preflight_fields,
    preflight_json,
    preflight_lines,
    preflight_verdict,
    read_info,
    read_report,
    run_verdict,
    supports_more,
)
from .codes import EXIT_NOT_CONFIRMED, EXIT_OK, NOT_READY, Verdict, code_name
from .render import phase_line, phase_record, restart_warning, result_record, where
from .session import Session, log, note_simulator


def info(session: Session) -> int:
    options = session.options
    name = options.names[0]
    session.stage = "info"
    try:
        facts = read_info(options.target(name), options.timeout)
    except ClusterUpgradeError as err:
        return session.failed(err, performed=False).exit_code
    session.stage = "done"

    def show() -> None:
        session.emit(info_json(facts))
        session.conclude(info_lines(facts))

    session.observe("the cluster's information", show)
    return EXIT_OK


@dataclass(frozen=True)
class Examined:
    """A preflight, and how its check ended: a result, or the refusal
    that means "fix the cluster first"."""

    preflight: Preflight
    check: UpgradeResult | ClusterUpgradeError


def call(session: Session, stdin: TextIO | None) -> int:
    """check or run on one cluster."""
    options = session.options
    name = options.names[0]
    if options.perform:
        session.can_confirm(stdin)  # before anything is sent
    target = options.target(name)
    simulated = " (simulated)" if options.simulate else ""
    session.stage = "check"
    session.show(f"Checking {where(name)}{simulated}{' before raising it' if options.perform else ''}")
    log.info("%s: %s%s started", where(name), "preflight" if options.perform else "check", simulated)
    # --fail-code and --fail-after script check's check, and run's raise:
    # run's preflight asks the simulated cluster's model.
    asked = options.model(name, target) if options.perform else target
    try:
        examined = _examine(session, name, asked, visible=not options.perform)
    except ClusterUpgradeError as err:
        return _failed(session, name, asked, err, performed=False)
    except KeyboardInterrupt as exc:
        return session.interrupted(exc, running=(name,))
    p = examined.preflight
    verdict = preflight_verdict(name, p)
    log.info("%s", "; ".join([verdict.sentence, *p.blockers]))
    if not options.perform:
        session.stage = "done"
        note_simulator(name, target, examined.check)
        return _checked(session, name, examined, verdict)
    return _run(session, stdin, name, target, examined)


def _examine(session: Session, name: str | None, target: Target, *, visible: bool) -> Examined:
    """Read `target`, then ask it the check, its phases shown when
    `visible`.  Raises what the read raises, and what the check raises
    unless it is a refusal that means "fix the cluster first"."""
    report = read_report(target, session.options.timeout)
    try:
        check = _call(session, name, target, perform=False, visible=visible)
    except ClusterUpgradeError as err:
        if isinstance(err, ClusapiUnavailableError) or err.winerror not in NOT_READY:
            raise
        return Examined(judged(report, err.winerror), err)
    return Examined(judged(report, None), check)


def _call(session: Session, name: str | None, target: Target, *, perform: bool, visible: bool = True) -> UpgradeResult:
    """The call, every phase shown (when `visible`); nothing shown can
    leave the call.  Raises what the call raises."""
    stream = api.phases(target, perform=perform, timeout=session.options.timeout)

    def show(event: PhaseEvent) -> None:
        if session.options.json:
            session.emit(phase_record(event, perform))
        else:
            session.console.say(phase_line(event))

    with stream:
        for event in stream:
            if visible:
                session.observe("a phase", lambda: show(event))  # noqa: B023 - called at once
    if stream.result is None:  # only an interpreter shutting down ends a stream so
        raise ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=name, events=stream.events)
    return stream.result


def _failed(session: Session, name: str | None, target: Target, err: ClusterUpgradeError, *, performed: bool) -> int:
    session.stage = "done"
    verdict = session.failed(err, performed=performed)
    note_simulator(name, target, err)
    return verdict.exit_code


def _checked(session: Session, name: str | None, examined: Examined, verdict: Verdict) -> int:
    """The end of check: the preflight, each blocker on its own line."""
    p, check = examined.preflight, examined.check
    if isinstance(check, ClusterUpgradeError):
        session.failed(check, performed=False, extra={"outcome": verdict.outcome, **preflight_fields(p)})
        lines = preflight_lines(name, p)
        session.observe("the outcome", lambda: session.conclude([f"Check refused: {lines[0]}.", *lines[1:]]))
        return verdict.exit_code
    result = check

    def show() -> None:
        session.emit({**result_record(result, verdict, levels_of(result)), **preflight_fields(p)})
        lines = preflight_lines(name, p)
        lines[0] = f"Check done in {result.duration:.2f} s: {lines[0]}."
        if result.status:
            lines.append(f"(The check returned {result.status} {code_name(result.status) or ''}: a success; a check "
                         "raises nothing, so nothing needs a restart.)")
        if not (p.ready or p.nothing_to_do):
            lines.append("(The check itself passed: the blockers come from what the cluster reports.)")
        session.conclude(lines)

    session.observe("the outcome", show)
    return verdict.exit_code


def _run(session: Session, stdin: TextIO | None, name: str | None, target: Target, examined: Examined) -> int:
    """The preflight's verdict, the confirmation, the raise."""
    options = session.options
    p = examined.preflight
    refused = isinstance(examined.check, ClusterUpgradeError)
    scripted = options.scripted(name)

    def show() -> None:
        session.emit(preflight_json(name, p))
        lines = preflight_lines(name, p)
        if scripted and not (p.ready or p.nothing_to_do):
            lines.append("(--fail-code or --fail-after script this simulated raise: it goes on whatever the "
                         "preflight says.)")
        elif not refused and not (p.ready or p.nothing_to_do):
            lines.append("(The cluster's own check passed, so the raise is left to the cluster.)")
        session.conclude(lines)

    session.observe("the preflight", show)
    check = examined.check
    if isinstance(check, ClusterUpgradeError) and not scripted:
        session.stage = "done"
        verdict = session.failed(check, performed=False)
        session.observe("the outcome", lambda: session.conclude(
            ["Nothing was changed: the cluster refused the check, so no raise was asked for."]
        ))
        return verdict.exit_code
    if not session.confirm(stdin, [name], _known(p)):
        session.not_confirmed()
        return EXIT_NOT_CONFIRMED
    session.stage = "setup"
    simulated = " (simulated)" if options.simulate else ""
    session.show(f"Raising the functional level of {where(name)}{simulated}")
    log.info("%s: raise%s started", where(name), simulated)
    session.stage = "raise"
    try:
        result = _call(session, name, target, perform=True)
    except ClusterUpgradeError as err:
        return _failed(session, name, target, err, performed=True)
    except KeyboardInterrupt as exc:
        return session.interrupted(exc, running=(name,))
    session.stage = "done"
    note_simulator(name, target, result)
    return _raised(session, result, p)


def _known(p: Preflight) -> str:
    """What the confirmation says of the raise, from the preflight."""
    level = p.info.functional_level
    if p.ready:
        return f" from level {level_text(level)} to {level_text(p.target_level)}"
    if p.nothing_to_do:
        return f" (it is already at level {level_text(level)} and no node supports a higher one: this should change " \
               "nothing)"
    return ""


def _raised(session: Session, result: UpgradeResult, p: Preflight) -> int:
    """How the raise came out, from the levels the cluster reported."""
    name = result.cluster
    levels = levels_of(result)
    more = None if levels.after is None else supports_more(p.info.nodes, levels.after)
    verdict = run_verdict(name, levels, None if more is None else not more, result.status)
    log.info("%s", verdict.sentence)

    def show() -> None:
        session.emit(result_record(result, verdict, levels))
        session.conclude([f"Done in {result.duration:.2f} s: {verdict.sentence}."])
        if restart_needed(result):
            session.console.tell(restart_warning(name))

    session.observe("the outcome", show)
    return verdict.exit_code
