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
from dataclasses import dataclass, field
from typing import Any

from .. import _clusupgrade, _validate, _winerror, api
from ..errors import ClusapiUnavailableError, ClusterUpgradeError
from ..info import Report, cluster_info, read
from ..outcome import FIX_FIRST
from ..preflight import Check, Preflight, judge
from ..result import UpgradeResult
from ..target import Target
from ..target import resolve as resolve_target
from . import records
from .records import Record
from .target import Resolved, StateMode, resolve

log = logging.getLogger("clusupgrade.salt")

Fire = Callable[[str, dict[str, Any]], object]
"""Salt's ``event.send(tag, data)``: fires an event to the master."""

REREAD_SECONDS = 30.0
"""How long a read of the cluster after a failed raise may take."""


@dataclass
class Context:
    """What Salt gives a call: the minion's configuration and pillar, its id,
    and the way to fire an event to the master (None: no events)."""

    opts: Mapping[str, Any]
    pillar: Mapping[str, Any] | None = None
    fire: Fire | None = None
    fired: list[str] = field(default_factory=list)
    """The tags fired so far (for the state's comment and for tests)."""

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
            else:
                self.fired.append(tag)
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


def _read(target: Target, deadline: float | None, timeout: float | None) -> Report:
    name, simulator = resolve_target(target)
    return read(name, simulator, deadline=deadline, timeout=timeout)


def examine(target: Target, timeout: float | None) -> Examined:
    """Read `target` and ask it the check (perform=False), as the command
    line's preflight does.  Raises what the read raises, and what the check
    raises unless it is a refusal that means "fix the cluster first"."""
    deadline = None if timeout is None else time.monotonic() + timeout
    report = _read(target, deadline, timeout)
    left = None if deadline is None else max(0.001, deadline - time.monotonic())
    try:
        check: UpgradeResult | ClusterUpgradeError = api.check(target, timeout=left)
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


def info(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Record:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        facts = cluster_info(where.target("read-only"), timeout=seconds)
    except ClusterUpgradeError as err:
        return records.error_record(where.name, err, simulated=where.simulated, performed=False)
    return records.info_record(where.name, facts, simulated=where.simulated)


def preflight(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Record:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        examined = examine(where.target("read-only"), seconds)
    except ClusterUpgradeError as err:
        return records.error_record(where.name, err, simulated=where.simulated, performed=False)
    return records.preflight_record(where.name, examined.preflight, simulated=where.simulated)


def check(ctx: Context, cluster: object = None, simulate: object = None, timeout: object = None) -> Record:
    where = resolve(cluster, simulate, ctx.opts, ctx.pillar)
    seconds = _timeout(timeout)
    try:
        examined = examine(where.target("read-only"), seconds)
    except ClusterUpgradeError as err:
        return records.error_record(where.name, err, simulated=where.simulated, performed=False)
    return records.check_record(where.name, examined.preflight, examined.check, simulated=where.simulated)


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
                state: StateMode = "keep") -> tuple[Raise, Record | None]:
        """Resolve the cluster and run the preflight; the record of a
        failure to read or check it (nothing sent), or None."""
        job = cls(ctx, resolve(cluster, simulate, ctx.opts, ctx.pillar), _timeout(timeout))
        job.target = job.where.target(state)
        try:
            job.examined = examine(job.target, job.timeout)
        except ClusterUpgradeError as err:
            return job, records.error_record(job.where.name, err, simulated=job.where.simulated, performed=False)
        return job, None

    @property
    def preflight(self) -> Preflight:
        assert self.examined is not None
        return self.examined.preflight

    @property
    def cluster(self) -> str:
        """The cluster's name in event tags."""
        return _reported(self.examined, self.where.name)

    def gate(self, ignore_blockers: bool) -> Record | None:
        """The command line's preflight gate: the record of a raise that is
        not sent (nothing to raise, the cluster's check refused, blockers
        unless `ignore_blockers`), or None to raise."""
        assert self.examined is not None
        p, name, sim = self.examined.preflight, self.where.name, self.where.simulated
        if p.nothing_to_do:
            return records.refused_record(name, p, "nothing-to-raise", records.preflight_sentence(name, p) +
                                          "; nothing was sent", simulated=sim)
        refused = self.examined.refused
        if refused is not None:
            return records.refused_record(
                name, p, "not-ready",
                f"{records.preflight_sentence(name, p)}: the cluster refused the check ({refused.winerror}, "
                f"{_winerror.name_of(refused.winerror)}), so no raise was asked for", simulated=sim)
        if p.blockers and not ignore_blockers:
            return records.refused_record(
                name, p, "blocked",
                f"{records.preflight_sentence(name, p)}: the preflight found blockers, so no raise was asked for "
                "(ignore_blockers=True leaves it to the cluster's own check)", simulated=sim)
        return None

    def perform(self) -> Record:
        """Send the raise, firing each phase; the final record."""
        name, sim, tag = self.where.name, self.where.simulated, self.cluster
        minion = self.ctx.minion
        stream = api.phases(self.target, perform=True, timeout=self.timeout)
        # No `with` and no close(): leaving early must only stop listening.
        try:
            for event in stream:
                data = records.phase_record(event, performed=True, simulated=sim)
                data["cluster"] = name
                data["minion"] = minion
                self.ctx.send(f"clusupgrade/{tag}/phase", data)
        except ClusterUpgradeError as err:
            return self._failed(err)
        result = stream.result
        if result is None:  # only an interpreter shutting down ends a stream so
            return self._failed(ClusterUpgradeError(_winerror.ERROR_CANCELLED, cluster=name, events=stream.events))
        after = result.level_after
        nodes = self.preflight.info.nodes
        highest = [n.highest_level for n in nodes]
        nothing_more = None if after is None or not highest or None in highest else all(
            h is not None and h <= after for h in highest)
        return records.raised_record(name, result, nothing_more=nothing_more, simulated=sim)

    def _failed(self, err: ClusterUpgradeError) -> Record:
        """A raise that failed: where does the cluster stand now?"""
        before = self.preflight.info.functional_level
        name, sim = self.where.name, self.where.simulated
        if err.winerror in FIX_FIRST and not isinstance(err, ClusapiUnavailableError):
            return records.error_record(name, err, simulated=sim, performed=True, before=before,
                                        after=before, stands="unchanged")
        try:
            after = cluster_info(self.where.target("read-only"), timeout=REREAD_SECONDS).functional_level
        except (ClusterUpgradeError, OSError, ValueError):
            after = None
        if after is None or before is None:
            stands = "unknown"
        else:
            stands = "raised" if after > before else "unchanged"
        return records.error_record(name, err, simulated=sim, performed=True, before=before, after=after,
                                    stands=stands)

    def finish(self, record: Record) -> Record:
        """Fire the final record on the bus; return it."""
        self.ctx.send(f"clusupgrade/{self.cluster}/result", {**record, "minion": self.ctx.minion})
        return record


def raise_level(ctx: Context, cluster: object = None, simulate: object = None, ignore_blockers: object = False,
                timeout: object = None) -> Record:
    """Raise the level by one, behind the command line's preflight gate."""
    ignore = _flag(ignore_blockers, "ignore_blockers")
    job, failed = Raise.prepare(ctx, cluster, simulate, timeout)
    if failed is not None:
        return job.finish(failed)
    refused = job.gate(ignore)
    if refused is not None:
        return job.finish(refused)
    return job.finish(job.perform())
