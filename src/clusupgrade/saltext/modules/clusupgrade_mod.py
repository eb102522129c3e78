"""Salt execution module ``clusupgrade``: read, check and raise a Windows
Server failover cluster's functional level (irreversible), or rehearse it
on a simulated cluster.

Each function takes the cluster's name (default: the minion's local
cluster) and returns the cluster's final record as ``clusupgrade --json``
writes it; the job's retcode is the command line's exit code.
``simulate``: True for the built-in simulated cluster, or the path of an
estate file under a directory that the minion's configuration allows
(``clusupgrade.estate_dirs``); by default what the minion's configuration
or pillar says as ``clusupgrade.simulate``, else a real cluster.

CLI examples::

    salt 'hv-node1' clusupgrade.preflight hv-cluster1
    salt 'site-*' clusupgrade.raise_level simulate=/srv/clusupgrade/estates/site.toml
    salt-run state.event 'clusupgrade/*' pretty=True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from clusupgrade.saltext import calls
from clusupgrade.saltext.records import Done, Record

__virtualname__ = "clusupgrade"

# Salt's loader replaces these when it loads the module.
__opts__: Mapping[str, Any] = {}
__salt__: Mapping[str, Callable[..., Any]] = {}
__pillar__: Mapping[str, Any] = {}
__context__: MutableMapping[str, Any] = {}


def __virtual__() -> str:
    return __virtualname__


def _context(events: bool) -> calls.Context:
    fire = None
    if events:
        send = __salt__.get("event.send")
        if send is not None:
            def fire(tag: str, data: dict[str, Any]) -> object:
                return send(tag, data)
    pillar = __pillar__
    return calls.Context(__opts__, pillar, fire)


def _invalid(err: Exception) -> Exception:
    """Bad arguments as Salt reports them (one line, no traceback)."""
    try:
        exceptions = importlib.import_module("salt.exceptions")
    except ImportError:  # not under Salt
        return err
    invalid: Exception = exceptions.SaltInvocationError(str(err))
    return invalid


def _done(done: Done) -> Record:
    """The record; the job's retcode is the command line's exit code."""
    __context__["retcode"] = done.exit_code
    return done.record


def info(cluster: str | None = None, simulate: bool | str | None = None, timeout: float | None = None) -> Record:
    """What the cluster says about itself: name, level, nodes.

    CLI example: ``salt 'hv-node1' clusupgrade.info hv-cluster1``
    """
    try:
        return _done(calls.info(_context(False), cluster, simulate, timeout))
    except (TypeError, ValueError, PermissionError) as err:
        raise _invalid(err) from None


def preflight(cluster: str | None = None, simulate: bool | str | None = None, timeout: float | None = None) -> Record:
    """Whether the level can be raised, and what stands in the way (each
    blocker with its remedy).  Changes nothing.

    CLI example: ``salt 'hv-node1' clusupgrade.preflight hv-cluster1``
    """
    try:
        return _done(calls.preflight(_context(False), cluster, simulate, timeout))
    except (TypeError, ValueError, PermissionError) as err:
        raise _invalid(err) from None


def check(cluster: str | None = None, simulate: bool | str | None = None, timeout: float | None = None) -> Record:
    """The cluster's own check (Update-ClusterFunctionalLevel -WhatIf) with
    the preflight's verdict.  Changes nothing.

    CLI example: ``salt 'hv-node1' clusupgrade.check hv-cluster1``
    """
    try:
        return _done(calls.check(_context(False), cluster, simulate, timeout))
    except (TypeError, ValueError, PermissionError) as err:
        raise _invalid(err) from None


def raise_level(
    cluster: str | None = None,
    simulate: bool | str | None = None,
    ignore_blockers: bool = False,
    timeout: float | None = None,
) -> Record:
    """Raise the functional level by one: IRREVERSIBLE.  Not sent when the
    preflight finds nothing to raise, or blockers (unless
    ``ignore_blockers=True``: the cluster's own check decides).  Each phase
    is fired as ``clusupgrade/<cluster>/phase``, the final record as
    ``clusupgrade/<cluster>/result``.  A job that stops waiting (its
    ``timeout``, a master's timeout) leaves the cluster's call running.

    CLI example: ``salt 'hv-node1' clusupgrade.raise_level hv-cluster1``
    """
    try:
        return _done(calls.raise_level(_context(True), cluster, simulate, ignore_blockers, timeout))
    except (TypeError, ValueError, PermissionError) as err:
        raise _invalid(err) from None
