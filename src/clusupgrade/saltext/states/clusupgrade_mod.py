"""Salt state module ``clusupgrade``: a cluster's functional level, declared.

.. code-block:: yaml

    hv-cluster1:
      clusupgrade.level_raised:
        - level: 12          # optional: the level to reach (one above today's)

At most one raise per state run and cluster (a raise moves the level by one
and cannot be undone).  ``test=True`` reports the preflight without raising.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from clusupgrade.saltext import calls
from clusupgrade.saltext import state as _state

__virtualname__ = "clusupgrade"

# Salt's loader replaces these when it loads the module.
__opts__: Mapping[str, Any] = {}
__salt__: Mapping[str, Callable[..., Any]] = {}
__pillar__: Mapping[str, Any] = {}
__context__: MutableMapping[str, Any] = {}


def __virtual__() -> str:
    return __virtualname__


def level_raised(
    name: str,
    level: int | None = None,
    cluster: str | None = None,
    local_cluster: bool = False,
    simulate: bool | str | None = None,
    ignore_blockers: bool = False,
    timeout: float | None = None,
) -> dict[str, Any]:
    """The cluster `name` (or `cluster`, or with ``local_cluster: True`` the
    minion's own cluster: then `name` is only the id) at `level`, or one
    level higher when its nodes allow it.

    changes: ``{old: 11, new: 12}`` (with ``restart_required: true`` for
    5975).  Fails with the blockers and their remedies when the cluster is
    not ready, and for a `level` that one raise cannot reach.
    """
    send = __salt__.get("event.send")
    fire = None if send is None else (lambda tag, data: send(tag, data))
    ctx = calls.Context(__opts__, __pillar__, fire)
    test = bool(__opts__.get("test", False))
    try:
        return _state.level_raised(ctx, __context__, name, level, cluster=cluster, local_cluster=local_cluster,
                                   simulate=simulate, ignore_blockers=ignore_blockers, timeout=timeout, test=test)
    except (TypeError, ValueError, PermissionError) as err:
        return {"name": name, "result": False, "comment": f"{err} (nothing was sent)", "changes": {}}
