"""Exclusive locks on one byte each of a lock file, between processes and
between the threads of one process, on Windows and POSIX (stdlib only).

A simulated estate keeps one lock file; each cluster of it locks its own
byte, so that a fleet rehearsal of twenty clusters runs twenty calls at
once while two processes on the same cluster take turns, and byte 0 guards
the state file's read-modify-write.

- Windows: ``msvcrt.locking`` on a handle this process keeps open.  Its
  blocking mode gives up after ten seconds, so a wait polls the
  non-blocking mode instead.
- POSIX: ``fcntl.lockf`` (record locks).  They belong to the process, not to
  a handle: two threads would not exclude each other, and closing ANY
  descriptor of the file would drop every lock the process holds on it.
  So each process opens a lock file once and never closes it, and a
  threading lock per byte serializes the process's own threads first.

The lock file itself is never written: locking a byte beyond its end is
allowed on both systems.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Final

POLL_SECONDS: Final = 0.05
"""How often a wait on Windows tries again."""

_registry_lock = threading.Lock()
_descriptors: dict[str, int] = {}
"""The lock files this process has open, by absolute path: never closed (see above)."""
_thread_locks: dict[tuple[str, int], threading.Lock] = {}


def _reset_after_fork() -> None:
    # A forked child holds none of the parent's record locks, and its
    # threading locks may have been held by threads it does not have.
    global _registry_lock
    _registry_lock = threading.Lock()
    _thread_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _descriptor(path: str) -> int:
    """This process's descriptor of the lock file at `path`, opened (and
    created) once.  Raises OSError when it cannot be."""
    with _registry_lock:
        fd = _descriptors.get(path)
        if fd is None:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0)
            fd = os.open(path, flags, 0o666)
            _descriptors[path] = fd
        return fd


def _thread_lock(path: str, offset: int) -> threading.Lock:
    with _registry_lock:
        return _thread_locks.setdefault((path, offset), threading.Lock())


if sys.platform == "win32":
    import msvcrt

    _seek_lock = threading.Lock()
    """A handle has one file position: seek-then-lock must not interleave."""

    def _try(fd: int, offset: int) -> bool:
        with _seek_lock:
            os.lseek(fd, offset, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            return True

    def _wait(fd: int, offset: int) -> None:
        while not _try(fd, offset):
            time.sleep(POLL_SECONDS)

    def _unlock(fd: int, offset: int) -> None:
        with _seek_lock:
            os.lseek(fd, offset, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try(fd: int, offset: int) -> bool:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
        except (BlockingIOError, PermissionError):
            return False
        return True

    def _wait(fd: int, offset: int) -> None:
        # Blocks without the GIL; a signal (Ctrl+C) interrupts it (PEP 475
        # retries after the handler, which raises KeyboardInterrupt).
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset, os.SEEK_SET)

    def _unlock(fd: int, offset: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset, os.SEEK_SET)


class ByteLock:
    """An exclusive lock on byte `offset` of the lock file at `path`, held
    by one thread of one process at a time.  Not reentrant."""

    def __init__(self, path: Path | str, offset: int) -> None:
        if offset < 0:
            raise ValueError(f"offset must be at least 0, got {offset}")
        self.path = os.path.abspath(os.fspath(path))
        self.offset = offset

    def open(self) -> None:
        """Open (create) the lock file now: raises OSError when it cannot
        be, before anything waits on it."""
        _descriptor(self.path)

    def acquire(self, on_wait: object = None, deadline: float | None = None) -> bool:
        """Take the lock, waiting as long as another thread or process holds
        it, or until `deadline` (time.monotonic()) when one is given: False
        then, with nothing held.  `on_wait`, a callable, is called once
        before a wait."""
        fd = _descriptor(self.path)
        local = _thread_lock(self.path, self.offset)
        if not local.acquire(blocking=False):
            if callable(on_wait):
                on_wait()
                on_wait = None
            if not _acquire_interruptibly(local, deadline):
                return False
        try:
            if not _try(fd, self.offset):
                if callable(on_wait):
                    on_wait()
                if deadline is None:
                    _wait(fd, self.offset)
                else:
                    while not _try(fd, self.offset):
                        if time.monotonic() >= deadline:
                            local.release()
                            return False
                        time.sleep(POLL_SECONDS)
        except BaseException:
            local.release()
            raise
        return True

    def release(self) -> None:
        """Give the lock back; from any thread of the process that holds it."""
        try:
            _unlock(_descriptor(self.path), self.offset)
        finally:
            _thread_lock(self.path, self.offset).release()

    def __enter__(self) -> ByteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _acquire_interruptibly(lock: threading.Lock, deadline: float | None = None) -> bool:
    """lock.acquire() in short waits, so that Ctrl+C gets through on Windows;
    False once `deadline` (time.monotonic()) has passed."""
    while not lock.acquire(timeout=0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))):
        if deadline is not None and time.monotonic() >= deadline:
            return False
    return True
