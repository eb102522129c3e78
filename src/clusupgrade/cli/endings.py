"""How each cluster's part of a command came out (an :class:`Ending`), told
from what the cluster reported: pure functions, no I/O, no signals, so that
the command line and other front ends (Salt) say the same thing.

Outcome words (the JSON records' ``outcome``, documented in
clusupgrade/schema/records.schema.json): check-passed, raised,
raised-restart-required, nothing-to-raise, not-ready, blocked, failed,
timed-out, unreachable, access-denied, no-clusapi, not-confirmed, skipped,
not-started, interrupted, state-unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from .. import remedies
from .._winerror import ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
from ..errors import ClusapiUnavailableError, ClusterUpgradeError, UpgradeTimeoutError
from ..preflight import Preflight
from ..result import UpgradeResult
from .codes import (
    EXIT_FAILED,
    EXIT_NOT_CONFIRMED,
    EXIT_NOT_READY,
    EXIT_OK,
    EXIT_RESTART,
    EXIT_UNKNOWN,
    error_outcome,
    interrupted_code,
)
from .words import level_text, where

Stands = Literal["raised", "unchanged", "unknown"]

OUTCOMES: Final = (
    "check-passed", "raised", "raised-restart-required", "nothing-to-raise", "not-ready", "blocked", "failed",
    "timed-out", "unreachable", "access-denied", "no-clusapi", "not-confirmed", "skipped", "not-started",
    "interrupted", "state-unknown",
)
"""Every outcome word, as the schema lists them."""

SHORT: Final = {"raised-restart-required": "raised, restart needed"}
"""The fleet table's words where they are not the outcome with spaces."""


@dataclass(frozen=True)
class Ending:
    """One cluster's final record: what the `result` record and the
    summary say of it."""

    cluster: str | None
    outcome: str
    exit_code: int
    message: str
    """For people, naming the cluster."""
    performed: bool
    """A raise was asked for (run), not only a check."""
    winerror: int | None = None
    """0, 5975 or the code the call ended with; None when no call ended."""
    level_before: int | None = None
    level_after: int | None = None
    raised: bool | None = None
    """True or False when known; None where it is not."""
    stands: Stands | None = None
    """Where the cluster stands after a re-read; None without one."""
    duration: float | None = None
    phases: tuple[int, ...] = ()

    @property
    def restart_required(self) -> bool:
        return self.outcome == "raised-restart-required" or (
            self.stands == "raised" and self.winerror == ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
        )

    @property
    def words(self) -> str:
        """The outcome in a few words, for the fleet table."""
        text = SHORT.get(self.outcome, self.outcome.replace("-", " "))
        if self.outcome == "interrupted" and self.stands is not None:
            text += f" ({STANDS_WORDS[self.stands]})"
        elif self.winerror and self.outcome not in ("raised-restart-required", "raised"):
            text += f" ({self.winerror})"
        return text


STANDS_WORDS: Final = {"raised": "raised", "unchanged": "unchanged", "unknown": "state unknown"}


# --------------------------------------------------------------------------
# From what a call returned.


def error_words(err: ClusterUpgradeError) -> str:
    """The error as the command says it: naming its cluster, with advice for
    the command line rather than for Python."""
    text = str(err)
    if isinstance(err, ClusapiUnavailableError):
        text = text.replace("pass cluster=clusupgrade.Simulator()", "add --simulate")
        if "--simulate" not in text:
            text += " To rehearse without a cluster, add --simulate."
    subject = where(err.cluster)
    return text if text.startswith(subject) else f"{subject}: {text}"


def refusal_words(err: ClusterUpgradeError, explained: frozenset[int]) -> str:
    """A refusal of the check, said once: when the preflight's blockers
    already explain its code (Preflight.explained), without its remedy."""
    text = error_words(err)
    advice = remedies.advice(err.winerror, cluster=err.cluster) if err.winerror in explained else ""
    if advice and advice in text:
        text = text.replace(advice, "").rstrip().rstrip(".") + " (the blockers say what to do)"
    return text


def changed_nothing(err: ClusterUpgradeError) -> bool:
    """The call ended in a refusal that certainly changed nothing (or never
    reached the cluster): no need to read the cluster again."""
    outcome, _ = error_outcome(err)
    return outcome in ("not-ready", "unreachable", "access-denied", "no-clusapi")


def error_ending(err: ClusterUpgradeError, *, performed: bool, level_before: int | None = None) -> Ending:
    """A call that raised `err`.  For a raise that may have changed
    something, `raised` is None (unknown) until a re-read says."""
    outcome, code = error_outcome(err)
    raised: bool | None = False if not performed or changed_nothing(err) else None
    return Ending(
        err.cluster, outcome, code, error_words(err), performed, winerror=err.winerror,
        level_before=level_before, raised=raised, phases=tuple(int(e.phase) for e in err.events),
    )


def raise_ending(result: UpgradeResult, nothing_to_do: bool | None) -> Ending:
    """A raise that returned success (0 or 5975), told from the levels the
    cluster reported before and after it; `nothing_to_do` is what its nodes
    said of a higher level (None: unknown).  Never "raised" without seeing
    the level move."""
    before, after = result.level_before, result.level_after
    subject = where(result.cluster)
    base = Ending(
        result.cluster, "raised", EXIT_OK, "", True, winerror=result.status, level_before=before,
        level_after=after, duration=result.duration, phases=tuple(int(e.phase) for e in result.events),
    )
    restart = result.status == ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
    if before is None or after is None:
        return replace(
            base, outcome="state-unknown", exit_code=EXIT_UNKNOWN, raised=None,
            message=f"{subject} reported success, but its level before and after is unknown "
            "(Get-Cluster | Format-List ClusterFunctionalLevel shows it)",
        )
    if after > before:
        moved = f"raised {subject} from level {level_text(before)} to {level_text(after)}"
        if restart:
            return replace(base, outcome="raised-restart-required", exit_code=EXIT_RESTART, raised=True,
                           message=f"{moved}; the cluster needs a restart (5975)")
        return replace(base, raised=True, message=moved)
    if after == before and nothing_to_do:
        return replace(
            base, outcome="nothing-to-raise", raised=False,
            message=f"nothing to raise: {subject} is already at level {level_text(after)} and no node supports "
            "a higher one",
        )
    why = "; whether its nodes support a higher level is unknown" if nothing_to_do is None else \
        " although its nodes support a higher one"
    if restart:
        why += " (it returned 5975, ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED, which says the level was raised)"
    return replace(
        base, outcome="failed", exit_code=EXIT_FAILED, raised=False,
        message=f"{subject} reported success but its level did not move: before {level_text(before)}, "
        f"after {level_text(after)}{why}",
    )


# --------------------------------------------------------------------------
# From a preflight.


def preflight_outcome(p: Preflight) -> str:
    """The preflight record's outcome: ready, not-ready or nothing-to-raise."""
    return "nothing-to-raise" if p.nothing_to_do else "ready" if p.ready else "not-ready"


def preflight_sentence(name: str | None, p: Preflight) -> str:
    subject = where(name)
    hci = p.info.hci
    now, then = level_text(p.info.functional_level, hci), level_text(p.target_level, hci)
    if p.nothing_to_do:
        return f"nothing to raise: {subject} is already at level {now} and no node supports a higher one"
    if p.ready:
        return f"ready: {subject} can go from level {now} to {then}"
    return f"not ready: {subject} cannot go from level {now} to {then} yet"


def preflight_lines(name: str | None, p: Preflight) -> list[str]:
    """The verdict, then each blocker on its own line."""
    return [preflight_sentence(name, p), *(f"  - {blocker}" for blocker in p.blockers)]


def check_ending(name: str | None, p: Preflight, check: UpgradeResult | ClusterUpgradeError) -> Ending:
    """How `check` came out: the preflight's verdict with the check's code."""
    level = p.info.functional_level
    winerror = check.winerror if isinstance(check, ClusterUpgradeError) else check.status
    phases = tuple(int(e.phase) for e in check.events)
    duration = check.duration if isinstance(check, UpgradeResult) else None
    message = refusal_words(check, p.explained) if isinstance(check, ClusterUpgradeError) else \
        preflight_sentence(name, p)
    base = Ending(name, "check-passed", EXIT_OK, message, False, winerror=winerror,
                  level_before=level, raised=False, duration=duration, phases=phases)
    if p.nothing_to_do:
        return replace(base, outcome="nothing-to-raise")
    if p.ready:
        return base
    return replace(base, outcome="not-ready", exit_code=EXIT_NOT_READY)


def gate(name: str | None, p: Preflight, check: UpgradeResult | ClusterUpgradeError, *,
         ignore_blockers: bool = False) -> Ending | None:
    """Whether run's preflight stops the raise: the Ending that says why
    (nothing to raise, not ready, blocked), or None to go on.  The
    cluster's own check always decides; the preflight's blockers stop a
    raise the check let through unless `ignore_blockers`."""
    level = p.info.functional_level
    if isinstance(check, ClusterUpgradeError):
        ending = error_ending(check, performed=True, level_before=level)
        said = refusal_words(check, p.explained).rstrip(".")
        return replace(ending, raised=False, message=f"{said}; nothing was changed: "
                       "the cluster refused the check, so no raise was asked for")
    if p.nothing_to_do:
        return Ending(name, "nothing-to-raise", EXIT_OK, preflight_sentence(name, p), True, level_before=level,
                      level_after=level, raised=False)
    if p.ready or ignore_blockers:
        return None
    return Ending(
        name, "blocked", EXIT_NOT_READY,
        f"not raised: the preflight found {len(p.blockers)} blocker{'s' if len(p.blockers) != 1 else ''} on "
        f"{where(name)}, although its own check passed; fix them, or add --ignore-blockers to leave the "
        "decision to the cluster",
        True, level_before=level, raised=False,
    )


def not_confirmed(name: str | None, level: int | None) -> Ending:
    return Ending(name, "not-confirmed", EXIT_NOT_CONFIRMED, f"{where(name)}: not confirmed; nothing was changed",
                  True, level_before=level, raised=False)


def skipped(name: str | None, level: int | None) -> Ending:
    return Ending(name, "skipped", EXIT_OK, f"{where(name)} is ready but was not raised: not every cluster is "
                  "(--check-first raises none unless all are; add --only-ready)", True, level_before=level,
                  raised=False)


def not_started(name: str | None, why: str, *, performed: bool, level: int | None = None) -> Ending:
    return Ending(name, "not-started", EXIT_OK, f"{where(name)} was not started: {why}; nothing was changed",
                  performed, level_before=level, raised=False)


# --------------------------------------------------------------------------
# After the command stopped waiting, or a raise failed: where it stands.


@dataclass(frozen=True)
class Reread:
    """What a read of the cluster after the raise found."""

    stands: Stands
    level: int | None
    """The level read, None when the read failed."""
    why: str
    """For "unknown": why; else how it was found."""


def judge_reread(before: int | None, level: int | None, *, in_progress: bool | None, still_running: bool,
                 failure: str | None = None) -> Reread:
    """Where a cluster stands from the level read after the raise.
    `still_running`: the call is still running in this process."""
    if failure is not None:
        return Reread("unknown", None, f"its level could not be read again: {failure}")
    if level is None:
        return Reread("unknown", None, "it did not report its level when read again")
    if before is not None and level > before:
        return Reread("raised", level, f"read again: level {level_text(level)}")
    if before is None:
        return Reread("unknown", level, f"its level before the raise is unknown (now {level_text(level)})")
    if still_running:
        return Reread("unknown", level, f"the raise was still under way when clusupgrade stopped waiting (level "
                      f"{level_text(level)} when read); read it again later with 'clusupgrade info'")
    if in_progress:
        return Reread("unknown", level, f"the cluster reports an upgrade in progress (level {level_text(level)})")
    return Reread("unchanged", level, f"read again: still at level {level_text(level)}")


def stopped_ending(name: str | None, *, performed: bool, before: int | None, reread: Reread | None,
                   signum: int | None, error: ClusterUpgradeError | None = None,
                   ended: UpgradeResult | None = None, nothing_to_do: bool | None = None,
                   phases: tuple[int, ...] = ()) -> Ending:
    """A raise the command stopped waiting for (`signum`: the signal), or one
    that failed or timed out (`error`), with where the re-read says it
    stands.  `ended`: the call's own result, when it ended during the short
    wait after stopping.  `phases`: those the cluster reported before the
    command stopped waiting."""
    subject = where(name)
    if ended is not None:
        ending = raise_ending(ended, nothing_to_do)
        if signum is None:
            if error is None:
                return ending
            return replace(ending, message=f"{error_words(error).rstrip('.')}; then the call ended: {ending.message}")
        stands: Stands = "raised" if ending.raised else "unknown" if ending.raised is None else "unchanged"
        return replace(ending, outcome="interrupted", exit_code=interrupted_code(signum), stands=stands,
                       message=f"stopped waiting, but the call had ended: {ending.message}")
    assert reread is not None
    raised = {"raised": True, "unchanged": False, "unknown": None}[reread.stands]
    base = Ending(name, "interrupted", 0, "", performed, level_before=before, level_after=reread.level,
                  raised=raised, stands=reread.stands, phases=phases)
    if error is not None:
        failed = error_ending(error, performed=performed, level_before=before)
        said = failed.message.rstrip(".")
        if isinstance(error, UpgradeTimeoutError):
            # The library's sentence is for Python callers; at a terminal,
            # the deadline and that the cluster carries on are enough.
            said = f"{str(error).split(';', 1)[0]}; stopped waiting (the cluster carries on)"
        base = replace(failed, level_after=reread.level, raised=raised, stands=reread.stands, message=said)
    if signum is not None:
        if reread.stands == "raised":
            words = f"{subject} WAS raised to level {level_text(reread.level)}"
        elif reread.stands == "unchanged":
            words = f"{subject} is unchanged, still at level {level_text(reread.level)}"
        else:
            words = f"where {subject} stands is unknown: {reread.why}"
        return replace(base, outcome="interrupted", exit_code=interrupted_code(signum),
                       message=f"stopped waiting; the cluster carries on by itself. {words[0].upper()}{words[1:]}")
    assert error is not None
    if reread.stands == "raised":
        restart = error.winerror == ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
        return replace(base, outcome="raised-restart-required" if restart else "raised",
                       exit_code=EXIT_RESTART if restart else EXIT_OK,
                       message=f"{base.message}; but {subject} WAS raised: {reread.why}")
    if reread.stands == "unchanged":
        return replace(base, message=f"{base.message}; {subject} is unchanged ({reread.why})")
    return replace(base, outcome="state-unknown", exit_code=EXIT_UNKNOWN,
                   message=f"{base.message}; where {subject} stands is unknown: {reread.why}")


# --------------------------------------------------------------------------
# Several endings.


def restart_names(endings: Iterable[Ending]) -> list[str | None]:
    return [e.cluster for e in endings if e.restart_required]


def restart_line(endings: Sequence[Ending]) -> str | None:
    """The closing line that names every cluster that needs a restart."""
    names = restart_names(endings)
    if not names:
        return None
    listed = ", ".join(where(n) for n in names)
    return (f"Restart needed (5975): {listed} WAS raised and needs a restart of the whole cluster "
            "(Stop-Cluster, then Start-Cluster: plan the downtime).")
