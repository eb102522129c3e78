"""check and run on several clusters, through upgrade_many().

The live view is one line per cluster and phase, then one per cluster's end;
a summary table closes it.  With --json: one record per phase (with its
cluster), one per cluster's end, and one "fleet" record last.

upgrade_many() starts the next cluster inside its own ``next()`` as soon as
one ends, and tells nobody that one ended: a cluster's end is seen here at
the next event of any cluster, or when the fleet is done.  So --max-failures
cannot stop a start that the fleet makes on its own; instead clusters are
started in groups of --max-parallel, each group only when the one before
has ended with fewer than N failures.  Cancelling the running calls instead
would answer FALSE to clusters that are doing nothing wrong.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from ..errors import ClusterUpgradeError
from ..fleet import FleetUpgrade, upgrade_many
from ..outcome import restart_needed
from ..phase import PhaseEvent
from ..result import UpgradeResult
from ..target import Target
from .cluster import check_verdict, levels_of, read_info, run_verdict, supports_more
from .codes import EXIT_NOT_CONFIRMED, EXIT_OK, Verdict, code_name, worst
from .render import (
    Levels,
    level_json,
    phase_line,
    phase_record,
    restart_warning,
    result_record,
    table,
    where,
)
from .session import Session, log, names_text, note_simulator

POLL_EVERY = 0.05
"""With many clusters still running, look for ends at most this often (s)."""
POLL_ALWAYS = 256
"""Below this many running clusters, look after every event."""


@dataclass
class Member:
    """One cluster of the fleet, and what became of it."""

    name: str | None
    target: Target
    verdict: Verdict | None = None
    outcome: UpgradeResult | ClusterUpgradeError | None = None
    seen: bool = False
    """A phase arrived from it: its call has certainly started."""
    performed: bool = False
    """Its outcome is a raise's, not a check's."""

    @property
    def label(self) -> str:
        return self.name or "(local)"

    @property
    def levels(self) -> Levels:
        return levels_of(self.outcome) if isinstance(self.outcome, UpgradeResult) else Levels(None, None)

    @property
    def duration(self) -> str:
        """Seconds the call took; "unknown" for a call that failed (an error
        does not carry it), "-" without a call."""
        if isinstance(self.outcome, UpgradeResult):
            return f"{self.outcome.duration:.2f} s"
        return "unknown" if self.called else "-"

    @property
    def called(self) -> bool:
        """Its call certainly started."""
        return self.seen or self.outcome is not None

    @property
    def summary(self) -> str:
        """The outcome in a few words: "not ready (5973)"."""
        words = "not started" if self.verdict is None else self.verdict.outcome.replace("-", " ")
        if isinstance(self.outcome, ClusterUpgradeError):
            words += f" ({self.outcome.winerror})"
        return words


@dataclass
class Fleet:
    session: Session
    members: list[Member]
    width: int = field(init=False)
    active: list[Member] = field(default_factory=list)
    """The group whose calls are running (for an interruption)."""
    unmoved: list[Member] = field(default_factory=list)
    """Raised with success, but their level did not move: their nodes are
    read once every call of the group has ended (a read while the fleet
    runs would hold up the others' events and their measured duration)."""

    def __post_init__(self) -> None:
        self.width = max(len(m.label) for m in self.members)

    def run(self, stdin: TextIO | None) -> int:
        session, options = self.session, self.session.options
        if options.perform:
            session.can_confirm(stdin)  # before anything is sent
        try:
            to_raise = self.members
            if options.perform and options.check_first:
                to_raise = self._check_first()
            if options.perform and to_raise:
                if not session.confirm(stdin, [m.name for m in to_raise]):
                    session.not_confirmed()
                    self._summary()
                    return EXIT_NOT_CONFIRMED
            if to_raise:
                self._stage(to_raise, perform=options.perform, max_failures=options.max_failures)
        except KeyboardInterrupt as exc:
            for member in self.members:
                if member.verdict is None:
                    member.verdict = self._unfinished(member)
            running = [m.name for m in self.active if m.verdict is not None and m.verdict.outcome == "interrupted"]
            code = self.session.interrupted(exc, running=running)
            self._summary(interrupted=True)
            return code
        self.session.stage = "done"
        for member in self.members:
            note_simulator(member.name, member.target, member.outcome)
        self._summary()
        return worst(m.verdict.exit_code for m in self.members if m.verdict is not None)

    # Stages ----------------------------------------------------------------

    def _check_first(self) -> list[Member]:
        """Check every cluster; the ones to raise."""
        self._stage(self.members, perform=False, max_failures=None)
        ready = [m for m in self.members if m.verdict is not None and m.verdict.ok]
        if len(ready) < len(self.members) and not self.session.options.only_ready:
            for member in ready:
                member.verdict = Verdict(
                    "skipped", EXIT_OK,
                    f"{where(member.name)} is ready but was not raised: not every cluster is "
                    "(--only-ready raises the ready ones)",
                )
            self.session.show("Not every cluster is ready: none is raised.")
            return []
        for member in ready:
            member.verdict = member.outcome = None
            member.seen = member.performed = False
        return ready

    def _stage(self, members: list[Member], *, perform: bool, max_failures: int | None) -> None:
        session, options = self.session, self.session.options
        session.stage = "raise" if perform else "check"
        verb = "Raising the functional level of" if perform else "Checking"
        simulated = " simulated" if options.simulate else ""
        first = " before raising any" if options.perform and not perform else ""
        count = f"{len(members)}{simulated} cluster{'s' if len(members) > 1 else ''}"
        session.show(f"{verb} {count}{first}, at most {options.max_parallel} at a time:")
        log.info("%s: %s started", names_text([m.name for m in members]), "raise" if perform else "check")
        failed = 0
        for group in _groups(members, options.max_parallel if max_failures is not None else len(members)):
            if max_failures is not None and failed >= max_failures:
                for member in group:
                    member.verdict = Verdict(
                        "not-started", EXIT_OK,
                        f"{where(member.name)} was not started: {failed} clusters had failed "
                        f"(--max-failures {max_failures})",
                    )
                continue
            self.active = group
            fleet = upgrade_many(
                [m.target for m in group], perform=perform, max_parallel=options.max_parallel, timeout=options.timeout
            )
            self._watch(fleet, group, perform)
            failed += sum(1 for m in group if m.verdict is not None and not m.verdict.ok)
        self.active = []

    def _watch(self, fleet: FleetUpgrade, group: list[Member], perform: bool) -> None:
        by_name = {m.name: m for m in group}
        pending = list(range(len(group)))
        last_look = time.monotonic()
        with fleet:
            for event in fleet:
                member = by_name.get(event.cluster)
                if member is not None:
                    member.seen = True
                self.session.observe("a phase", lambda: self._phase(event, perform))  # noqa: B023
                now = time.monotonic()
                if len(pending) < POLL_ALWAYS or now - last_look >= POLL_EVERY:
                    pending = self._ends(fleet, group, pending, perform)
                    last_look = now
        self._ends(fleet, group, pending, perform)
        for member in self.unmoved:
            self._settle(member)
        self.unmoved.clear()

    def _ends(self, fleet: FleetUpgrade, group: list[Member], pending: list[int], perform: bool) -> list[int]:
        """Settle the members that have ended since the last look; the rest."""
        outcomes = fleet.outcomes
        still = []
        for index in pending:
            outcome = outcomes[index]
            if outcome is None:
                still.append(index)
                continue
            member = group[index]
            member.outcome, member.performed = outcome, perform
            if isinstance(outcome, ClusterUpgradeError):
                member.verdict = self.session.failed(outcome, performed=perform)
            elif not perform:
                member.verdict = check_verdict(member.name, outcome)
            else:
                member.verdict = run_verdict(member.name, member.levels, None, outcome.status)
                if member.verdict.outcome == "not-raised":
                    self.unmoved.append(member)
                    continue
                log.info("%s", member.verdict.sentence)
            self._show_end(member)
        return still

    def _settle(self, member: Member) -> None:
        """A raise whose level did not move: whether it had anything to
        raise, from its nodes."""
        result = member.outcome
        assert isinstance(result, UpgradeResult)
        member.verdict = run_verdict(member.name, member.levels, self._nothing_to_do(member), result.status)
        log.info("%s", member.verdict.sentence)
        self._show_end(member)

    def _show_end(self, member: Member) -> None:
        outcome = member.outcome
        assert outcome is not None
        self.session.observe("a cluster's end", lambda: self._end(member, outcome))

    def _nothing_to_do(self, member: Member) -> bool | None:
        """After a raise whose level did not move: whether no node supports
        a higher level, read from the cluster now (None: unknown).  The
        fleet's calls do not read the nodes, so this is one more read."""
        after = member.levels.after
        if after is None:
            return None
        try:
            info = read_info(member.target, self.session.options.timeout)
        except ClusterUpgradeError as err:
            log.info("%s: its nodes could not be read: %s", where(member.name), err)
            return None
        more = supports_more(info.nodes, after)
        return None if more is None else not more

    def _unfinished(self, member: Member) -> Verdict:
        if member not in self.active:
            return Verdict("not-started", EXIT_OK, f"{where(member.name)} was not started")
        if self.session.stage != "raise":
            return Verdict("interrupted", EXIT_OK, f"{where(member.name)}: interrupted; the check changed nothing")
        return Verdict(
            "interrupted", EXIT_OK,
            f"{where(member.name)}: interrupted; later phases are answered FALSE, but it may still finish the upgrade",
        )

    # What is shown ---------------------------------------------------------

    def _phase(self, event: PhaseEvent, perform: bool) -> None:
        if self.session.options.json:
            self.session.emit(phase_record(event, perform))
        else:
            self.session.console.say(phase_line(event, self.width))

    def _end(self, member: Member, outcome: UpgradeResult | ClusterUpgradeError) -> None:
        assert member.verdict is not None
        took = ""
        if isinstance(outcome, UpgradeResult):
            self.session.emit(result_record(outcome, member.verdict, member.levels))
            if restart_needed(outcome):
                self.session.console.tell(restart_warning(member.name))
            took = f" in {member.duration}"
        self.session.show(f"  {member.label:<{self.width}}  {member.summary}{took}")

    def _summary(self, interrupted: bool = False) -> None:
        rows = [("cluster", "outcome", "level before", "level after", "duration")]
        for member in self.members:
            before, after = member.levels
            rows.append((
                member.label, member.summary, _level(before, member.called),
                _level(after, member.called and member.performed), member.duration,
            ))
        counts = Counter("not started" if m.verdict is None else m.verdict.outcome.replace("-", " ")
                         for m in self.members)
        total = ", ".join(f"{n} {word}" for word, n in counts.items())

        def show() -> None:
            self.session.emit(self._record(counts, interrupted))
            self.session.conclude(["Summary:", *table(rows), total + "."])

        self.session.observe("the summary", show)

    def _record(self, counts: Counter[str], interrupted: bool) -> dict[str, object]:
        clusters = []
        for member in self.members:
            error = member.outcome if isinstance(member.outcome, ClusterUpgradeError) else None
            clusters.append({
                "cluster": member.name,
                "outcome": member.verdict.outcome if member.verdict else "not-started",
                "winerror": error.winerror if error else None,
                "name": code_name(error.winerror) if error else None,
                "duration": round(member.outcome.duration, 6) if isinstance(member.outcome, UpgradeResult) else None,
                **level_json(member.levels, member.performed),
            })
        return {
            "event": "fleet",
            "performed": self.session.options.perform,
            "clusters": clusters,
            "counts": {word.replace(" ", "-"): n for word, n in counts.items()},
            "interrupted": interrupted,
        }


def _level(level: int | None, applies: bool) -> str:
    """A level for the summary: "-" where there is none to show (no call,
    or the level after a check)."""
    if not applies:
        return "-"
    return "unknown" if level is None else str(level)


def _groups(members: Sequence[Member], size: int) -> Iterator[list[Member]]:
    for start in range(0, len(members), size):
        yield list(members[start : start + size])


def run(session: Session, stdin: TextIO | None) -> int:
    options = session.options
    members = [Member(name, options.target(name)) for name in options.names]
    return Fleet(session, members).run(stdin)
