"""check and run on several clusters: the same preflight per cluster as one
cluster gets, then the raises through upgrade_many().

Each cluster is read and checked first (the reads at once, the checks
through upgrade_many(perform=False)); its `preflight` record and words
are those of a single cluster, and run's gate is the same: nothing to
raise, a refusal, or a blocker the preflight found stops that cluster.
The confirmation lists each cluster to raise with its level before and
after.  A summary table (and a `summary` record) closes every command.

--max-failures: clusters start in groups of --max-parallel, each group
only when the one before has ended with fewer than N failures, because
upgrade_many() starts the next cluster inside its own ``next()`` as soon
as one ends.  What counts as a failure: codes.COUNTS_AS_FAILURE.

Ctrl+C during the raises: the first starts no more clusters and keeps
waiting for those running; the second (or SIGTERM, SIGHUP) stops waiting,
and each cluster still in flight is read again.  Never an abort.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from ..errors import ClusterUpgradeError, ListeningStoppedError, UpgradeTimeoutError
from ..fleet import FleetUpgrade, upgrade_many
from ..info import Report
from ..preflight import Preflight
from ..result import UpgradeResult
from ..target import Target
from .cluster import judged, read_report, supports_more
from .codes import COUNTS_AS_FAILURE, NOT_READY
from .endings import (
    Ending,
    changed_nothing,
    check_ending,
    error_ending,
    gate,
    not_confirmed,
    not_started,
    preflight_lines,
    preflight_sentence,
    raise_ending,
    skipped,
    stopped_ending,
)
from .records import preflight_record
from .session import Session, by_signal, log, names_text, note_simulator
from .settle import READ, WAIT, Stopped, settle
from .signals import signal_of

POLL_EVERY = 0.05
"""With many clusters still running, look for ends at most this often (s)."""
POLL_ALWAYS = 256
"""Below this many running clusters, look after every event."""


@dataclass
class Member:
    """One cluster of the fleet, and what became of it."""

    name: str | None
    target: Target
    asked: Target
    """What its preflight asks (a simulated cluster's model when its raise
    is scripted)."""
    preflight: Preflight | None = None
    ending: Ending | None = None

    @property
    def label(self) -> str:
        return self.name or "(local)"

    @property
    def before(self) -> int | None:
        return None if self.preflight is None else self.preflight.info.functional_level


class Fleet:
    def __init__(self, session: Session, members: list[Member]) -> None:
        self.session = session
        self.members = members
        self.width = max(len(m.label) for m in members)
        self.fleet: FleetUpgrade | None = None
        self.group: list[Member] = []
        self.stop_starting = False
        """A first Ctrl+C: no more clusters (nor groups) start."""
        self.deferred: list[tuple[Member, ClusterUpgradeError]] = []
        """Raises that failed or timed out while others ran: read again
        once the group has ended (a read here would hold up the others'
        events)."""
        self.seen: set[str | None] = set()
        """Clusters whose raise reported a phase: certainly under way."""
        self.prevented = False
        """A first Ctrl+C kept a cluster from starting: the command was
        interrupted, even if every running raise then ended."""

    def run(self, stdin: TextIO | None) -> int:
        session, options = self.session, self.session.options
        # Whether someone can confirm is asked only once a raise needs it
        # (Session.confirm(), after the preflights), as for one cluster.
        try:
            to_raise = self._preflights()
            if options.perform and to_raise:
                rows = [(m.name, m.before, m.preflight.target_level if m.preflight else None) for m in to_raise]
                if not session.confirm(stdin, rows):
                    session.console.tell("Not confirmed; nothing was changed.")
                    # Said once above: each cluster's line is in the summary.
                    for member in to_raise:
                        self._end(member, not_confirmed(member.name, member.before), [])
                    return self._finish()
                self._raises(to_raise)
        except KeyboardInterrupt as exc:
            signum = session.quiet_interruption(exc)
            for member in self.members:
                if member.ending is None:
                    self._end(member, _interrupted_before(member, by_signal(signum), options.perform))
            return self._finish(signum)
        return self._finish(self.signum)

    signum: int | None = None
    """The signal that stopped the wait for the raises, if any."""

    def _finish(self, signum: int | None = None) -> int:
        self.session.stage = "done"
        return self.session.finish(table_view=True, signum=signum, order=[m.name for m in self.members])

    def _end(self, member: Member, ending: Ending, lines: list[str] | None = None) -> None:
        """A member's end: its record, its line in the live view."""
        member.ending = ending
        took = "" if ending.duration is None else f" in {ending.duration:.2f} s"
        shown = lines if lines is not None else [f"  {member.label:<{self.width}}  {ending.words}{took}"]
        self.session.ended(ending, shown)
        if ending.exit_code not in (0, 7) and ending.outcome not in ("interrupted", "not-confirmed"):
            self.session.observe("an error", lambda: self.session.console.tell(f"clusupgrade: {ending.message}"))

    # The preflights ----------------------------------------------------------

    def _preflights(self) -> list[Member]:
        """Read and check every cluster; the ones run may raise."""
        session, options = self.session, self.session.options
        session.stage = "check"
        simulated = " simulated" if options.simulate else ""
        first = " before raising any" if options.perform else ""
        session.show(f"Checking {len(self.members)}{simulated} clusters{first}, at most {options.max_parallel} "
                     "at a time:")
        log.info("%s: %s started", names_text([m.name for m in self.members]),
                 "preflight" if options.perform else "check")
        pool = ThreadPoolExecutor(max_workers=min(options.max_parallel, len(self.members)),
                                  thread_name_prefix="clusupgrade-read")
        try:
            reads: list[Future[Report]] = [pool.submit(read_report, m.asked, options.timeout) for m in self.members]
            fleet = upgrade_many([m.asked for m in self.members], perform=False, max_parallel=options.max_parallel,
                                 timeout=options.timeout)
            with fleet:
                for event in fleet:
                    if not options.perform:
                        session.phase(event, performed=False, width=self.width)
            checks = fleet.outcomes
            reports: list[Report | ClusterUpgradeError] = []
            for future in reads:
                try:
                    reports.append(future.result())
                except ClusterUpgradeError as err:
                    reports.append(err)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        ready = []
        for member, report, check in zip(self.members, reports, checks, strict=True):
            if self._examined(member, report, check):
                ready.append(member)
        if options.perform and options.check_first and len(ready) < len(self.members) and not options.only_ready:
            session.show("Not every cluster is ready (--check-first): none is raised.")
            for member in ready:
                self._end(member, skipped(member.name, member.before))
            return []
        return ready

    def _examined(self, member: Member, report: Report | ClusterUpgradeError,
                  check: UpgradeResult | ClusterUpgradeError | None) -> bool:
        """Judge one member's preflight, emit it; True when run may raise it."""
        session, options = self.session, self.session.options
        if isinstance(report, ClusterUpgradeError):
            self._end(member, error_ending(report, performed=False))
            return False
        if check is None:  # the fleet ended without it: only an interpreter shutting down does
            self._end(member, not_started(member.name, "its check did not run", performed=options.perform))
            return False
        if isinstance(check, ClusterUpgradeError) and check.winerror not in NOT_READY:
            self._end(member, error_ending(check, performed=False))
            return False
        refused = check.winerror if isinstance(check, ClusterUpgradeError) else None
        p = member.preflight = judged(report, refused)
        log.info("%s", "; ".join([preflight_sentence(member.name, p), *p.blockers]))
        session.emit(preflight_record(member.name, p, simulated=session.simulated, refused=refused))
        if not options.perform:
            note_simulator(member.name, member.asked, check)
            self._end(member, check_ending(member.name, p, check))
            return False
        stop = gate(member.name, p, check, ignore_blockers=options.ignore_blockers)
        if stop is None:
            session.show(f"  {member.label:<{self.width}}  {preflight_lines(member.name, p)[0]}")
            return True
        lines = [f"  {member.label:<{self.width}}  {line.strip()}" if i == 0 else f"  {' ' * self.width}  {line}"
                 for i, line in enumerate(preflight_lines(member.name, p))]
        if stop.outcome == "blocked":
            lines.append(f"  {' ' * self.width}  ({stop.message})")
        self._end(member, stop, lines)
        return False

    # The raises ---------------------------------------------------------------

    def _raises(self, members: list[Member]) -> None:
        session, options = self.session, self.session.options
        simulated = " simulated" if options.simulate else ""
        count = f"{len(members)}{simulated} cluster{'s' if len(members) > 1 else ''}"
        session.show(f"Raising the functional level of {count}, at most {options.max_parallel} at a time:")
        log.info("%s: raise started", names_text([m.name for m in members]))
        size = options.max_parallel if options.max_failures is not None else len(members)
        failed = 0
        announced = False
        session.stage = "raise"
        session.signals.patient(session.first_ctrl_c(self._running, fleet=True))
        try:
            for start in range(0, len(members), size):
                group = members[start : start + size]
                if self.stop_starting or session.signals.warned:
                    self._never_started(group, "Ctrl+C stopped new starts")
                    continue
                if options.max_failures is not None and failed >= options.max_failures:
                    if not announced:
                        announced = True
                        session.console.tell(
                            f"clusupgrade: {failed} cluster{'s' if failed != 1 else ''} failed (--max-failures "
                            f"{options.max_failures}): starting no more clusters; "
                            f"{len(members) - start} not started.")
                    self._never_started(group, f"{failed} clusters had failed (--max-failures {options.max_failures})")
                    continue
                self._watch(group)
                failed += sum(1 for m in group if m.ending is not None and m.ending.exit_code in COUNTS_AS_FAILURE)
        except KeyboardInterrupt as exc:
            session.signals.quiet()
            self.signum = signal_of(exc)
            self._stopped_waiting(members)
        session.signals.quiet()
        if self.prevented and self.signum is None:
            self.signum = int(signal.SIGINT)

    def _running(self) -> list[str | None]:
        """For the first Ctrl+C: the clusters whose raise is under way; and
        no more start."""
        self.stop_starting = True
        if self.fleet is not None:
            self.fleet.stop_starting()
        outcomes = self.fleet.outcomes if self.fleet is not None else []
        return [m.name for m, o in zip(self.group, outcomes, strict=False) if o is None and m.name in self.seen]

    def _never_started(self, group: list[Member], why: str) -> None:
        self.prevented = self.prevented or why.startswith("Ctrl+C")
        for member in group:
            self._end(member, not_started(member.name, why, performed=True, level=member.before))

    def _watch(self, group: list[Member]) -> None:
        self.group = group
        fleet = self.fleet = upgrade_many([m.target for m in group], perform=True,
                                          max_parallel=self.session.options.max_parallel,
                                          timeout=self.session.options.timeout)
        if self.stop_starting:
            fleet.stop_starting()
        pending = list(range(len(group)))
        last_look = time.monotonic()
        with fleet:
            for event in fleet:
                self.seen.add(event.cluster)
                self.session.phase(event, performed=True, width=self.width)
                now = time.monotonic()
                if len(pending) < POLL_ALWAYS or now - last_look >= POLL_EVERY:
                    pending = self._ends(group, fleet.outcomes, pending)
                    last_look = now
        self.session.signals.quiet()  # every call has returned: each outcome is shown
        self._ends(group, fleet.outcomes, pending, final=True)
        deferred, self.deferred = self.deferred, []
        if deferred:
            self._reread(deferred, None)
        self.session.signals.patient(self.session.first_ctrl_c(self._running, fleet=True))
        if self.stop_starting:
            self.session.signals.warned = True

    def _ends(self, group: list[Member], outcomes: list[UpgradeResult | ClusterUpgradeError | None],
              pending: list[int], *, final: bool = False) -> list[int]:
        """Settle the members that have ended since the last look; the rest."""
        still = []
        failures: list[tuple[Member, ClusterUpgradeError]] = []
        for index in pending:
            outcome, member = outcomes[index], group[index]
            if outcome is None:
                if final:
                    self.prevented = True
                    self._end(member, not_started(member.name, "Ctrl+C stopped new starts", performed=True,
                                                  level=member.before))
                else:
                    still.append(index)
                continue
            if isinstance(outcome, UpgradeResult):
                note_simulator(member.name, member.target, outcome)
                self._end(member, raise_ending(outcome, _nothing_more(member, outcome)))
            elif changed_nothing(outcome):
                self._end(member, error_ending(outcome, performed=True, level_before=member.before))
            else:
                failures.append((member, outcome))
        self.deferred += failures
        return still

    def _reread(self, failures: list[tuple[Member, ClusterUpgradeError]], signum: int | None) -> None:
        """Members whose raise failed, timed out or was stopped: wait briefly,
        read again, say where each stands."""
        stopped = [
            Stopped(m.name, m.target, err.pending if isinstance(err, ListeningStoppedError) else None, m.before)
            for m, err in failures
        ]
        for (member, err), found in zip(failures, settle(stopped), strict=True):
            stop = signum if _stopped_by_us(err) and signum is not None else None
            if found.reread is None:
                assert found.ended is not None
                ending = stopped_ending(member.name, performed=True, before=member.before, reread=None,
                                        signum=stop, error=None if stop is not None else err, ended=found.ended,
                                        nothing_to_do=_nothing_more(member, found.ended))
            else:
                error = None if stop is not None else (found.error or err)
                ending = stopped_ending(member.name, performed=True, before=member.before, reread=found.reread,
                                        signum=stop, error=error, phases=tuple(int(e.phase) for e in err.events))
            self._end(member, ending)

    def _stopped_waiting(self, members: list[Member]) -> None:
        """After the second Ctrl+C (or SIGTERM, SIGHUP): every member still
        in flight is read again; those never started are unchanged."""
        assert self.signum is not None
        outcomes = self.fleet.outcomes if self.fleet is not None else []
        in_flight = [m for m, o in zip(self.group, outcomes, strict=False)
                     if m.ending is None and isinstance(o, ClusterUpgradeError) and _stopped_by_us(o)]
        if in_flight:
            self.session.console.tell(
                f"\nclusupgrade: {by_signal(self.signum)}: stopped waiting for "
                f"{names_text([m.name for m in in_flight])}; a raise under way goes on by itself. Reading the "
                f"level{'s' if len(in_flight) > 1 else ''} again (at most {WAIT + READ:.0f} s)...")
        else:
            self.session.console.tell(f"\nclusupgrade: {by_signal(self.signum)}: no raise was under way.")
        ended = [(m, o) for m, o in zip(self.group, outcomes, strict=False) if m.ending is None and o is not None]
        failures = [(m, o) for m, o in ended if isinstance(o, ClusterUpgradeError)]
        for member, outcome in ended:
            if isinstance(outcome, UpgradeResult):
                self._end(member, raise_ending(outcome, _nothing_more(member, outcome)))
        done = [(m, e) for m, e in failures if not isinstance(e, ListeningStoppedError) and changed_nothing(e)]
        for member, err in done:
            self._end(member, error_ending(err, performed=True, level_before=member.before))
        rest = [(m, e) for m, e in failures if (m, e) not in done and (m, e) not in self.deferred]
        rest += [(m, e) for m, e in self.deferred if m.ending is None]
        self.deferred = []
        if rest:
            self._reread(rest, self.signum)
        for member in members:
            if member.ending is None:
                self._end(member, not_started(member.name, f"{by_signal(self.signum)} stopped new starts",
                                              performed=True, level=member.before))


def _stopped_by_us(err: ClusterUpgradeError) -> bool:
    """The fleet stopped listening to this call (Ctrl+C, SIGTERM), as
    opposed to its own timeout or failure."""
    return isinstance(err, ListeningStoppedError) and not isinstance(err, UpgradeTimeoutError)


def _interrupted_before(member: Member, by: str, performed: bool) -> Ending:
    """A member the command was stopped before raising: unchanged."""
    return Ending(member.name, "interrupted", 0, f"interrupted by {by} before its raise; nothing was changed",
                  performed, level_before=member.before, raised=False)


def _nothing_more(member: Member, result: UpgradeResult) -> bool | None:
    if result.level_after is None or member.preflight is None:
        return None
    more = supports_more(member.preflight.info.nodes, result.level_after)
    return None if more is None else not more


def run(session: Session, stdin: TextIO | None) -> int:
    options = session.options
    members = []
    for name in options.names:
        target = options.target(name)
        members.append(Member(name, target, options.model(name, target) if options.perform else target))
    return Fleet(session, members).run(stdin)

