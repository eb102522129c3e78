"""What the execution module ``clusupgrade`` does, without Salt.

Each call returns the cluster's final record as the command line writes it
(records.py).  A raise fires each phase on the event bus as
``clusupgrade/<cluster>/phase`` and its final record as
``clusupgrade/<cluster>/result`` (the cluster's reported name); a failure
to fire is logged and never touches the call.  Nothing here aborts a
call: when a job stops waiting (its timeout, a signal), the cluster's call
goes on and every later phase is answered TRUE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .. import _clusupgrade, _validate, _winerror, api
from ..cli.settle import Stopped, settle
from ..errors import ClusapiUnavailableError, ClusterUpgradeError, ListeningStoppedError
from ..info import cluster_info, read
from ..outcome import FIX_FIRST
from ..preflight import Check, Preflight, judge
from ..result import UpgradeResult
from ..target import Target
from ..target import resolve as resolve_target
from . import records
from .records import Done, endings
from .target import Resolved, StateMode, resolve

log = logging.getLogger("clusupgrade.salt")

Fire = Callable[[str, dict[str, Any]], object]
"""Salt's ``event.send(tag, data)``: fires an event to the master."""


@dataclass
class Context:
    """What Salt gives a call: the minion's configuration and pillar, its id,
    and the way to fire an event to the master (None: no events)."""

    opts: Mapping[str, Any]
    pillar: Mapping[str, Any] | None = None
    fire: Fire | None = None

    @property
    def minion(self) -> str | None:
        value = self.opts.get("id")
        return value if isinstance(value, str) else None

    def send(self, tag: str, data: dict[str, Any]) -> None:
        """Fire `data` as `tag`; a failure is logged, never raised."""
        if self.fire is None:
            return
        try:
            if self.fire(tag, data) is False:
                log.warning("clusupgrade: the event %s could not be sent to the master", tag)
        except Exception:  # anything Salt raises: the call goes on
            log.warning("clusupgrade: sending the event %s failed; the call goes on", tag, exc_info=True)


def _timeout(value: object) -> float | None:
    return _validate.timeout(value)


def _flag(value: object, what: str) -> bool:
    return _validate.flag(value, what)


# --------------------------------------------------------------------------
# Reading and checking.


@dataclass(frozen=True)
class Examined:
    """The preflight, and how its check ended: a result, or the refusal that
    means "fix the cluster first"."""

    preflight: Preflight
    check: UpgradeResult | ClusterUpgradeError

    @property
    def refused(self) -> ClusterUpgradeError | None:
        return self.check if isinstance(self.check, ClusterUpgradeError) else None


def examine(target: Target, timeout: float | None) -> Examined:
    """Read `target` and ask it the check (perform=False), as the command
    line's preflight does (`timeout` for each of the two calls).  Raises
    what the read raises, and what the check raises unless it is a refusal
    that means "fix the cluster first"."""
    name, simulator = resolve_target(target)
    deadline = None if timeout is None else time.monotonic() + timeout
    report = read(name, simulator, deadline=deadline, timeout=timeout)
    try:
        check: UpgradeResult | ClusterUpgradeError = api.check(target, timeout=timeout)
    except ClusterUpgradeError as err:
        if isinstance(err, ClusapiUnavailableError) or err.winerror not in FIX_FIRST:
            raise
        check = err
    status = check.winerror if isinstance(check, ClusterUpgradeError) else _winerror.SUCCESS
    return Examined(judge(report, Check(status, _clusupgrade.STAGE_UPGRADE, -1)), check)


def _reported(examined: Examined | None, name: str | None) -> str:
    """The cluster's name for event tags: what it reported, else what the
    job gave, else "local"; a "/" (or "%") in it percent-encoded, so that
    a name cannot make another tag."""
    if examined is not None and examined.preflight.info.name:
        name = examined.preflight.info.name
    return (name or "local").replace("%", "%25").replace("/", "%2F")


# --------------------------------------------------------------------------
# The four calls.


def info(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Done:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        facts = cluster_info(where.target("read-only"), timeout=seconds)
    except ClusterUpgradeError as err:
        return records.failed(err, performed=False, simulated=where.simulated)
    return records.info(where.name, facts, simulated=where.simulated)


def preflight(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Done:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        examined = examine(where.target("read-only"), seconds)
    except ClusterUpgradeError as err:
        return records.failed(err, performed=False, simulated=where.simulated)
    refused = examined.refused
    return records.preflight(where.name, examined.preflight, refused=None if refused is None else refused.winerror,
                             simulated=where.simulated)


def check(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Done:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        examined = examine(where.target("read-only"), seconds)
    except ClusterUpgradeError as err:
        return records.failed(err, performed=False, simulated=where.simulated)
    end = endings.check_ending(where.name, examined.preflight, examined.check)
    return records.ending(end, simulated=where.simulated)


@dataclass
class Raise:
    """One raise_level, step by step, so that the state can look at the
    preflight before deciding."""

    ctx: Context
    where: Resolved
    timeout: float | None
    target: Target = None
    examined: Examined | None = None

    @classmethod
    def prepare(cls, ctx: Context, cluster: object, simulate: object, timeout: object,
                state: StateMode = "keep") -> tuple[Raise, Done | None]:
        """Resolve the cluster and run the preflight; the return of a
        failure to read or check it (nothing sent), or None."""
        job = cls(ctx, resolve(cluster, simulate, ctx.opts, ctx.pillar), _timeout(timeout))
        job.target = job.where.target(state)
        try:
            job.examined = examine(job.target, job.timeout)
        except ClusterUpgradeError as err:
            # performed=False, as run says it: no raise was sent.
            return job, records.failed(err, performed=False, simulated=job.where.simulated)
        return job, None

    @property
    def preflight(self) -> Preflight:
        assert self.examined is not None
        return self.examined.preflight

    @property
    def cluster(self) -> str:
        """The cluster's name in event tags."""
        return _reported(self.examined, self.where.name)

    def gate(self, ignore_blockers: bool) -> Done | None:
        """The command line's preflight gate: the return of a raise that is
        not sent (nothing to raise, the cluster's own check refused,
        blockers unless `ignore_blockers`), or None to raise."""
        assert self.examined is not None
        stop = endings.gate(self.where.name, self.preflight, self.examined.check, ignore_blockers=ignore_blockers)
        if stop is None:
            return None
        if stop.outcome == "blocked":
            stop = replace(stop, message=stop.message.replace("add --ignore-blockers", "pass ignore_blockers=True"))
        return records.ending(stop, simulated=self.where.simulated)

    def perform(self) -> Done:
        """Send the raise, firing each phase; its final record."""
        name, sim, tag = self.where.name, self.where.simulated, self.cluster
        before = self.preflight.info.functional_level
        stream = api.phases(self.target, perform=True, timeout=self.timeout)
        try:
            for event in stream:
                data = records.phase(event, simulated=sim)
                data["minion"] = self.ctx.minion
                self.ctx.send(f"clusupgrade/{tag}/phase", data)
            result = stream.result
            if result is None:  # only an interpreter shutting down ends a stream so
                raise ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=name, events=stream.events)
        except ClusterUpgradeError as err:
            if endings.changed_nothing(err):
                return records.ending(endings.error_ending(err, performed=True, level_before=before), simulated=sim)
            return self._settled(err)
        return records.ending(endings.raise_ending(result, self._nothing_more(result)), simulated=sim)

    def _nothing_more(self, result: UpgradeResult) -> bool | None:
        """Whether no node supports a level above the one `result` reached."""
        after = result.level_after
        highest = [node.highest_level for node in self.preflight.info.nodes]
        if after is None or not highest or None in highest:
            return None
        return all(h is not None and h <= after for h in highest)

    def _settled(self, err: ClusterUpgradeError) -> Done:
        """A raise that failed or stopped being listened to (its timeout):
        wait briefly for it, then read where the cluster stands."""
        name, before = self.where.name, self.preflight.info.functional_level
        pending = err.pending if isinstance(err, ListeningStoppedError) else None
        found = settle([Stopped(name, self.target, pending, before)])[0]
        error = found.error if found.error is not None else err
        if found.reread is None:
            assert found.ended is not None
            end = endings.stopped_ending(name, performed=True, before=before, reread=None, signum=None, error=error,
                                         ended=found.ended, nothing_to_do=self._nothing_more(found.ended))
        else:
            end = endings.stopped_ending(name, performed=True, before=before, reread=found.reread, signum=None,
                                         error=error)
        return records.ending(end, simulated=self.where.simulated)

    def finish(self, done: Done) -> Done:
        """Fire the final record on the bus; return it."""
        self.ctx.send(f"clusupgrade/{self.cluster}/result", {**done.record, "minion": self.ctx.minion})
        return done


def raise_level(ctx: Context, cluster: object = None, simulate: object = None, ignore_blockers: object = False,
                timeout: object = None) -> Done:
    """Raise the level by one, behind the command line's preflight gate."""
    ignore = _flag(ignore_blockers, "ignore_blockers")
    job, failed = Raise.prepare(ctx, cluster, simulate, timeout)
    if failed is not None:
        return job.finish(failed)
    refused = job.gate(ignore)
    if refused is not None:
        return job.finish(refused)
    return job.finish(job.perform())
