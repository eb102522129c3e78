"""Native edge cases found by the hostile review: allocation failures
around an irreversible call, and thread ids after fork."""

from __future__ import annotations

import struct
import sys
import threading

import pytest

from .conftest import run_python

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="gettid is Linux's")


TID_AFTER_FORK = r"""
import os, queue, struct, threading
from clusupgrade import Simulator, _clusupgrade

def tids():
    items = queue.SimpleQueue()
    call = _clusupgrade.Call(items, None, False, Simulator(callback_thread="caller")._spec(False))
    call.run()
    return call.caller_thread, struct.unpack("=BIiqqQ", items.get_nowait())[5]

assert tids() == (threading.get_native_id(),) * 2
pid = os.fork()
if pid == 0:
    ok = tids() == (threading.get_native_id(),) * 2
    os._exit(0 if ok else 7)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


@linux_only
def test_thread_ids_are_the_childs_own_after_fork() -> None:
    proc = run_python(TID_AFTER_FORK)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0", "the child's records named the parent's thread"


def test_record_layout_is_what_python_reads() -> None:
    # Guards the struct format the fork test above relies on.
    from clusupgrade.phase import PHASE_RECORD

    assert PHASE_RECORD.format == "=BIiqqQ" and struct.calcsize("=BIiqqQ") == 33
    assert threading.get_native_id() > 0
