"""info, and check or run on one cluster: step k of 5 as it happens.

check and run both start with a preflight: the cluster's facts (its level,
its nodes), then the check (perform=False), judged together the way
preflight() judges them.  check shows the check's phases.  run is gated by
its preflight: nothing to raise, a refusal, or a blocker the preflight
found (unless --ignore-blockers) end it before the confirmation prompt,
and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from .. import _winerror, api, pending_call
from ..errors import ClusapiUnavailableError, ClusterUpgradeError, ListeningStoppedError
from ..preflight import Preflight
from ..result import UpgradeResult
from ..target import Target
from .cluster import info_lines, judged, read_info, read_report, supports_more
from .codes import NOT_READY, code_name
from .endings import (
    Ending,
    changed_nothing,
    check_ending,
    error_ending,
    gate,
    not_confirmed,
    preflight_lines,
    preflight_sentence,
    raise_ending,
    stopped_ending,
)
from .records import info_record, preflight_record
from .session import Session, by_signal, log, note_simulator
from .settle import READ, WAIT, Stopped, settle
from .signals import signal_of
from .words import where


def info(session: Session) -> int:
    options = session.options
    name = options.names[0]
    session.stage = "info"
    try:
        facts = read_info(options.target(name), options.timeout)
    except ClusterUpgradeError as err:
        session.stage = "done"
        session.ended(error_ending(err, performed=False))
        return session.finish(table_view=False)
    session.stage = "done"

    def show() -> None:
        session.emit(info_record(name, facts, simulated=session.simulated))
        session.conclude(info_lines(facts))

    session.observe("the cluster's information", show)
    return session.finish(table_view=False)


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
    # Whether someone can confirm is asked only when a raise needs it (after
    # the preflight): a cluster with nothing to raise, or with blockers, is
    # told so with no prompt, even from a script without --yes.
    target = options.target(name)
    simulated = " (simulated)" if options.simulate else ""
    session.stage = "check"
    session.show(f"Checking {where(name)}{simulated}{' before raising it' if options.perform else ''}")
    log.info("%s: %s%s started", where(name), "preflight" if options.perform else "check", simulated)
    # --fail-code and --fail-after script check's check, and run's raise:
    # run's preflight asks the simulated cluster's model.
    asked = options.model(name, target) if options.perform else target
    try:
        examined = examine(session, name, asked, visible=not options.perform)
    except ClusterUpgradeError as err:
        session.stage = "done"
        session.ended(error_ending(err, performed=False))
        note_simulator(name, asked, err)
        return session.finish(table_view=False)
    p = examined.preflight
    log.info("%s", "; ".join([preflight_sentence(name, p), *p.blockers]))
    refused = examined.check.winerror if isinstance(examined.check, ClusterUpgradeError) else None
    session.emit(preflight_record(name, p, simulated=session.simulated, refused=refused))
    if not options.perform:
        session.stage = "done"
        note_simulator(name, target, examined.check)
        return _checked(session, name, examined)
    return _run(session, stdin, name, target, examined)


def examine(session: Session, name: str | None, target: Target, *, visible: bool) -> Examined:
    """Read `target`, then ask it the check, its phases shown when
    `visible`.  Raises what the read raises, and what the check raises
    unless it is a refusal that means "fix the cluster first"."""
    report = read_report(target, session.options.timeout)
    try:
        check = _check(session, target, visible=visible)
    except ClusterUpgradeError as err:
        if isinstance(err, ClusapiUnavailableError) or err.winerror not in NOT_READY:
            raise
        return Examined(judged(report, err.winerror), err)
    return Examined(judged(report, None), check)


def _check(session: Session, target: Target, *, visible: bool) -> UpgradeResult:
    """The check, every phase shown (when `visible`).  A stop here changed
    nothing."""
    stream = api.phases(target, perform=False, timeout=session.options.timeout)
    with stream:
        for event in stream:
            if visible:
                session.phase(event, performed=False)
    if stream.result is None:  # only an interpreter shutting down ends a stream so
        raise ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=stream.cluster, events=stream.events)
    return stream.result


def _checked(session: Session, name: str | None, examined: Examined) -> int:
    """The end of check: the preflight, each blocker on its own line."""
    p, check = examined.preflight, examined.check
    ending = check_ending(name, p, check)
    lines = preflight_lines(name, p)
    if isinstance(check, ClusterUpgradeError):
        words = ending.message
        session.observe("the error", lambda: session.console.tell(f"clusupgrade: {words}"))
        lines[0] = f"Check refused: {lines[0]}."
    else:
        lines[0] = f"Check done in {check.duration:.2f} s: {lines[0]}."
        if check.status:
            lines.append(f"(The check returned {check.status} {code_name(check.status) or ''}: a success; a check "
                         "raises nothing, so nothing needs a restart.)")
        if not (p.ready or p.nothing_to_do):
            lines.append("(The check itself passed: the blockers come from what the cluster reports.)")
    session.ended(ending, lines)
    return session.finish(table_view=False)


def _run(session: Session, stdin: TextIO | None, name: str | None, target: Target, examined: Examined) -> int:
    """The preflight's verdict, the gate, the confirmation, the raise."""
    options = session.options
    p = examined.preflight
    session.observe("the preflight", lambda: session.conclude(preflight_lines(name, p)))
    stop = gate(name, p, examined.check, ignore_blockers=options.ignore_blockers)
    if stop is not None:
        session.stage = "done"
        if isinstance(examined.check, ClusterUpgradeError):
            session.ended(stop, [])
            session.observe("the error", lambda: session.console.tell(f"clusupgrade: {stop.message}"))
        else:
            closing = "Nothing to raise, so no raise was sent." if stop.outcome == "nothing-to-raise" else \
                f"{stop.message}."
            session.ended(stop, [closing])
        return session.finish(table_view=False)
    if not p.ready:
        session.show("(--ignore-blockers: the raise is left to the cluster's own check.)")
    level = p.info.functional_level
    if not session.confirm(stdin, [(name, level, p.target_level)]):
        session.stage = "done"
        session.ended(not_confirmed(name, level), [])
        session.console.tell("Not confirmed; nothing was changed.")
        return session.finish(table_view=False)
    simulated = " (simulated)" if options.simulate else ""
    session.show(f"Raising the functional level of {where(name)}{simulated}")
    log.info("%s: raise%s started", where(name), simulated)
    ending, signum = raise_one(session, name, target, p)
    session.stage = "done"
    if ending.duration is not None and ending.outcome != "interrupted":
        lines = [f"Done in {ending.duration:.2f} s: {ending.message}."]
    else:
        lines = None
    session.ended(ending, lines)
    return session.finish(table_view=False, signum=signum)


def raise_one(session: Session, name: str | None, target: Target, p: Preflight) -> tuple[Ending, int | None]:
    """The raise, every phase shown; how it ended, and the signal that
    stopped the wait (None).  The first Ctrl+C only warns; a second one,
    SIGTERM or SIGHUP stops waiting (the call goes on, answered TRUE), and
    where the cluster stands is read again."""
    signals = session.signals
    before = p.info.functional_level
    stream = api.phases(target, perform=True, timeout=session.options.timeout)
    held = None
    session.stage = "raise"
    signals.patient(session.first_ctrl_c(lambda: [name]))
    try:
        with stream:
            try:
                for event in stream:
                    session.phase(event, performed=True)
            except KeyboardInterrupt:
                held = stream.pending
                raise
        signals.quiet()  # the call has returned: its outcome is shown, whatever comes
        result = stream.result
        if result is None:
            raise ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=name, events=stream.events)
    except ClusterUpgradeError as err:
        signals.quiet()
        note_simulator(name, target, err)
        if changed_nothing(err):
            return error_ending(err, performed=True, level_before=before), None
        pending = err.pending if isinstance(err, ListeningStoppedError) else None
        return _settled(session, Stopped(name, target, pending, before), p, error=err), None
    except KeyboardInterrupt as exc:
        signals.quiet()
        if stream.result is not None:  # it returned just before the stop: it is reported
            return raise_ending(stream.result, _nothing_more(p, stream.result)), None
        signum = signal_of(exc)
        session.console.tell(f"\nclusupgrade: {by_signal(signum)}: stopped waiting for {where(name)}; the raise "
                             f"goes on by itself. Reading its level again (at most {WAIT + READ:.0f} s)...")
        pending = pending_call(exc) or held
        return _settled(session, Stopped(name, target, pending, before), p, signum=signum,
                        phases=tuple(int(e.phase) for e in stream.events)), signum
    note_simulator(name, target, result)
    return raise_ending(result, _nothing_more(p, result)), None


def _settled(session: Session, stopped: Stopped, p: Preflight, *, error: ClusterUpgradeError | None = None,
             signum: int | None = None, phases: tuple[int, ...] = ()) -> Ending:
    found = settle([stopped])[0]
    if found.error is not None and error is None:
        error = found.error
    if found.reread is None:
        assert found.ended is not None
        return stopped_ending(stopped.name, performed=True, before=stopped.before, reread=None, signum=signum,
                              error=error, ended=found.ended, nothing_to_do=_nothing_more(p, found.ended))
    return stopped_ending(stopped.name, performed=True, before=stopped.before, reread=found.reread, signum=signum,
                          error=error, phases=phases)


def _nothing_more(p: Preflight, result: UpgradeResult) -> bool | None:
    """Whether no node supports a level above the one `result` reached."""
    if result.level_after is None:
        return None
    more = supports_more(p.info.nodes, result.level_after)
    return None if more is None else not more
