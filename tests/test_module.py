"""The extension module as an object: several instances, and objects that
outlive the module they came from."""

from __future__ import annotations

import gc
import importlib.util
import queue
import sys

import clusupgrade
from clusupgrade import _clusupgrade
from clusupgrade.phase import END_HEADER, PHASE_RECORD

SCRIPT = ((1, 2, 3), 0, 0, -1, 0, True)


def test_second_module_instance_has_its_own_state() -> None:
    spec = importlib.util.find_spec("clusupgrade._clusupgrade")
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)  # type: ignore[union-attr]
    assert other is not _clusupgrade
    assert other.Call is not _clusupgrade.Call
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    call = other.Call(items, None, True, SCRIPT)
    assert END_HEADER.unpack_from(call.run())[2:4] == (0, other.STAGE_UPGRADE)
    assert [PHASE_RECORD.unpack(items.get_nowait())[2] for _ in range(3)] == [1, 2, 3]


def test_call_outlives_its_module() -> None:
    spec = importlib.util.find_spec("clusupgrade._clusupgrade")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    call = module.Call(items, None, True, SCRIPT)
    del module, spec
    gc.collect()
    # The type keeps its module, and so its state, alive for the Call.
    assert END_HEADER.unpack_from(call.run())[2:4] == (0, 2)
    assert call.job.answers() == [True, True, True]


def test_package_survives_removal_from_sys_modules() -> None:
    saved = sys.modules.pop("clusupgrade._clusupgrade")
    try:
        gc.collect()
        result = clusupgrade.upgrade(clusupgrade.Simulator())
        assert len(result.events) == 5
    finally:
        sys.modules["clusupgrade._clusupgrade"] = saved


def test_huge_script() -> None:
    script = tuple(range(200_000))
    result = clusupgrade.upgrade(clusupgrade.Simulator(script))
    assert [int(e.phase) for e in result.events] == list(script)
