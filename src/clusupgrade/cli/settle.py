"""After the command stopped waiting for a raise, or a raise failed or timed
out: wait briefly on the call still running in this process, then read the
cluster's level again (bounded by a short deadline) to say where it stands.

Nothing here answers the cluster: the call was only stopped listening to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from ..errors import ClusterUpgradeError, Pending
from ..info import cluster_info
from ..result import UpgradeResult
from ..target import Target
from .endings import Reread, judge_reread
from .words import where

log = logging.getLogger("clusupgrade.cli")

WAIT: Final = 2.0
"""Seconds to wait for a call still in this process to end by itself."""
READ: Final = 5.0
"""Seconds a read of the cluster's level may take."""


@dataclass(frozen=True)
class Settled:
    """What waiting briefly and reading again found for one cluster."""

    ended: UpgradeResult | None = None
    """The call's own result, when it ended during the short wait."""
    error: ClusterUpgradeError | None = None
    """The call's own failure, when it ended so during the short wait."""
    reread: Reread | None = None
    """What the read found; None when the call's own end says it."""


@dataclass(frozen=True)
class Stopped:
    """A raise nobody listens to any more: its cluster, where to read it,
    the call still in this process (if any), its level before."""

    name: str | None
    target: Target
    pending: Pending | None
    """A PendingCall (or what errors know of one: errors.Pending)."""
    before: int | None


def _wait_all(stopped: Sequence[Stopped], seconds: float) -> list[UpgradeResult | ClusterUpgradeError | None]:
    """Wait at most `seconds` in all for the calls still in this process."""
    deadline = time.monotonic() + seconds
    found: list[UpgradeResult | ClusterUpgradeError | None] = []
    for one in stopped:
        if one.pending is None:
            found.append(None)
            continue
        try:
            found.append(one.pending.wait(max(0.0, deadline - time.monotonic())))
        except ClusterUpgradeError as err:
            found.append(err)
    return found


def _read(one: Stopped, seconds: float) -> Reread:
    running = one.pending is not None and not one.pending.done
    try:
        info = cluster_info(one.target, timeout=seconds)
    except ClusterUpgradeError as err:
        return judge_reread(one.before, None, in_progress=None, still_running=running, failure=str(err))
    in_progress = getattr(info, "upgrade_in_progress", None)
    return judge_reread(one.before, info.functional_level, in_progress=in_progress, still_running=running)


def settle(stopped: Sequence[Stopped], *, wait: float = WAIT, read: float = READ) -> list[Settled]:
    """For each stopped raise: its own end if it came within `wait`, else
    where a read (at most `read` seconds, all read at once) says it stands.
    A stop signal while reading leaves the unread ones "unknown"."""
    ends = _wait_all(stopped, wait)
    settled: list[Settled | None] = []
    to_read = []
    for one, end in zip(stopped, ends, strict=True):
        if isinstance(end, UpgradeResult):
            settled.append(Settled(ended=end))
        else:
            settled.append(None)
            to_read.append(one)
    rereads: dict[int, Reread] = {}
    if to_read:
        pool = ThreadPoolExecutor(max_workers=min(8, len(to_read)), thread_name_prefix="clusupgrade-reread")
        try:
            futures = {id(one): pool.submit(_read, one, read) for one in to_read}
            for one in to_read:
                try:
                    rereads[id(one)] = futures[id(one)].result()
                except KeyboardInterrupt:
                    raise
                except Exception as exc:  # a bug in a read is an unknown, never a traceback here
                    rereads[id(one)] = judge_reread(one.before, None, in_progress=None, still_running=True,
                                                    failure=f"{type(exc).__name__}: {exc}")
        except KeyboardInterrupt:
            for one in to_read:
                rereads.setdefault(id(one), judge_reread(one.before, None, in_progress=None, still_running=True,
                                                         failure="the read was interrupted"))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    out = []
    for one, end, done in zip(stopped, ends, settled, strict=True):
        if done is not None:
            out.append(done)
            continue
        reread = rereads[id(one)]
        log.info("%s: where it stands: %s (%s)", where(one.name), reread.stands, reread.why)
        out.append(Settled(error=end if isinstance(end, ClusterUpgradeError) else None, reread=reread))
    return out
