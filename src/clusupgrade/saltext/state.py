"""The state ``clusupgrade.level_raised``, without Salt.

A raise moves the level by one and cannot be undone, so the state raises
at most once per state run and per cluster:

- ``level`` equal to the current level, or nothing to raise: no changes;
- ``level`` one above the current one, or no ``level`` and the nodes
  allow a raise: raise (behind the preflight gate);
- any other ``level``: fails, nothing sent.

``test=True`` reports the preflight (what would change, or the blockers
with their remedies) without raising.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Final

from .. import _validate, _winerror, remedies
from . import records
from .calls import Context, Raise
from .records import Record

RAISED_KEY: Final = "clusupgrade.raised"
"""In ``__context__``: the clusters this state run has raised."""

MAX_LEVEL: Final = 0xFFFF


def _ret(name: str, result: bool | None, comment: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "result": result, "comment": comment, "changes": changes or {}}


def level_raised(
    ctx: Context,
    run: MutableMapping[str, Any],
    name: str,
    level: object = None,
    *,
    cluster: object = None,
    local_cluster: object = False,
    simulate: object = None,
    ignore_blockers: object = False,
    timeout: object = None,
    test: bool = False,
) -> dict[str, Any]:
    """The state's return.  `name` is the cluster, unless `cluster` names
    it or `local_cluster` is True (the minion's own cluster): then `name`
    is only the state's id.  `run` is Salt's ``__context__``, which lives
    as long as the state run."""
    want = None if level is None else _validate.integer(level, "level", 1, MAX_LEVEL)
    ignore = _validate.flag(ignore_blockers, "ignore_blockers")
    if _validate.flag(local_cluster, "local_cluster") and cluster is not None:
        raise ValueError("give cluster or local_cluster, not both")
    target = None if local_cluster else name if cluster is None else cluster
    job, failed = Raise.prepare(ctx, target, simulate, timeout, state="read-only" if test else "keep")
    if failed is not None:
        return _ret(name, False, f"{failed.record['message']} (nothing was sent)", {})
    p = job.preflight
    current = p.info.functional_level
    subject = records.where(job.where.name)
    done: set[str] = run.setdefault(RAISED_KEY, set())
    key = job.cluster.casefold()
    if current is None:
        return _ret(name, False, f"{subject} did not report its functional level: nothing was sent. "
                    + "; ".join(p.blockers))
    if want is not None and want == current:
        return _ret(name, True, f"{subject} is already at level {records.level_text(current)}")
    if want is not None and want != current + 1:
        why = "a level cannot be lowered" if want < current else "a raise moves the level by one"
        return _ret(name, False, f"{subject} is at level {records.level_text(current)}; level {want} cannot be "
                    f"reached by one raise ({why}): nothing was sent")
    if p.nothing_to_do:
        if want is None:
            return _ret(name, True, records.preflight_sentence(job.where.name, p))
        return _ret(name, False, f"{records.preflight_sentence(job.where.name, p)}: level {want} cannot be "
                    "reached; nothing was sent")
    if key in done:
        return _ret(name, False, f"{subject} was raised once in this state run already; a raise moves the level by "
                    "one: run the state again to raise it further. Nothing was sent")
    refused = job.gate(ignore)
    if refused is not None:  # not ready, or blocked: fails with the blockers and their remedies
        comment = "\n".join([str(refused.record["message"]), *(f"  - {b}" for b in p.blockers)])
        return _ret(name, False, comment)
    change = {"old": current, "new": p.target_level}
    if test:
        return _ret(name, None, f"{records.preflight_sentence(job.where.name, p)}: would raise it (irreversible)",
                    change)
    done.add(key)
    return _raised(name, job.finish(job.perform()).record)


def _raised(name: str, record: Record) -> dict[str, Any]:
    """The state's return for a raise that was sent."""
    outcome = record["outcome"]
    before, after = record["level_before"], record["level_after"]
    changes: dict[str, Any] = {}
    if record.get("raised"):
        changes = {"old": before, "new": after}
    comment = str(record["message"])
    if record.get("restart_required"):
        changes["restart_required"] = True
        changes["winerror"] = record["winerror"]
        code = _winerror.ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED
        comment += ". " + remedies.advice(code, cluster=record.get("cluster"))
    if outcome in ("raised", "raised-restart-required", "nothing-to-raise"):
        return _ret(name, True, comment, changes)
    if record.get("stands") == "unknown" and "old" not in changes:
        changes = {"old": before, "new": "unknown"}
    return _ret(name, False, comment, changes)
