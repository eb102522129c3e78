"""Measures clusupgrade's trampoline against the alternatives.

    bash benchmarks/run.sh        # sets up .venv with cffi, then runs this

Every figure is the median of REPEAT runs, measured in this one process on
this machine; docs/performance.md quotes a run.  Nothing here is a unit test: no
timing is asserted anywhere in tests/.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clusupgrade
from clusupgrade import _clusupgrade
from clusupgrade.phase import END_HEADER, END_KIND

ROOT = Path(__file__).resolve().parent.parent
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
N = int(os.environ.get("BENCH_PHASES", "200000"))
N_SLOW = N // 10  # ctypes and cffi are too slow for the full count


def median(measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(REPEAT))


def build_driver() -> ctypes.CDLL:
    """benchmarks/driver.c with the simulator's loop, as a shared library."""
    out = Path(tempfile.mkdtemp()) / "driver.so"
    csrc = ROOT / "csrc"
    sources = [ROOT / "benchmarks" / "driver.c"]
    simulator = ("backend_sim.c", "sim_model.c", "sim_report.c", "proplist_write.c")
    sources += [csrc / name for name in (*simulator, "context.c", "buf.c", "platform_posix.c")]
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", "-I", str(csrc), "-I", sysconfig.get_paths()["include"],
         *map(str, sources), "-o", str(out), "-lpthread"],
        check=True,
    )
    lib = ctypes.CDLL(str(out))
    lib.drive.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.floor_put.argtypes = [ctypes.py_object, ctypes.py_object, ctypes.c_int, ctypes.c_int]
    return lib


def script(n: int, native: bool) -> tuple[tuple[int, ...], int, int, int, int, bool]:
    return (tuple(1 + i % 5 for i in range(n)), 0, 0, -1, 0, native)


def trampoline_ns(native: bool, measure: bool = False) -> tuple[float, float]:
    """(ns per callback, ns of GIL held per callback), no consumer."""
    spec = script(N, native)

    def once() -> tuple[float, float]:
        call = _clusupgrade.Call(queue.SimpleQueue(), None, True, spec, measure=measure)
        start = time.perf_counter_ns()
        call.run()
        return (time.perf_counter_ns() - start) / N, call.gil_held_ns / N

    runs = [once() for _ in range(REPEAT)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def bare_loop_once(spec: tuple[tuple[int, ...], int, int, int, int, bool]) -> float:
    """Events per second from the cluster into a plain get() loop."""
    n = len(spec[0])
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    call = _clusupgrade.Call(items, None, True, spec)
    start = time.perf_counter()
    call.start()
    got = 0
    while True:
        item = items.get()
        if item[0] == END_KIND:  # type: ignore[index]  # the call returned
            break
        got += 1
    assert got == n
    return n / (time.perf_counter() - start)


def upgrade_once(native: bool) -> float:
    """Events per second through upgrade() with a no-op on_phase: the
    product's whole Python side (events kept in the result)."""
    phases = script(N, native)[0]
    sim = clusupgrade.Simulator(phases, callback_thread="native" if native else "caller")
    start = time.perf_counter()
    result = clusupgrade.upgrade(sim, on_phase=lambda event: None)
    rate = N / (time.perf_counter() - start)
    assert len(result.events) == N
    return rate


def end_to_end(native: bool) -> dict[str, float]:
    """The bare loop and upgrade(), run in turns in this one process, so
    that a busy machine slows both alike; their ratio is the median of the
    ratios of each turn."""
    spec = script(N, native)
    bare, full = [], []
    for _ in range(REPEAT):
        bare.append(bare_loop_once(spec))
        full.append(upgrade_once(native))
    return {
        "events_per_s": statistics.median(bare),
        "upgrade_events_per_s": statistics.median(full),
        "upgrade_ratio": statistics.median(f / b for f, b in zip(full, bare, strict=True)),
    }


def foreign_callback_ns(lib: ctypes.CDLL, kind: str, native: bool) -> float:
    """ns per callback for a ctypes or cffi callback doing the same put."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    put, t0 = items.put, time.monotonic_ns()
    monotonic_ns, time_ns, native_id = time.monotonic_ns, time.time_ns, threading.get_native_id

    def callback(arg: object, phase: int) -> int:
        put((phase, monotonic_ns() - t0, time_ns(), native_id()))
        return 1

    if kind == "ctypes":
        keep = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int)(callback)
        address = ctypes.cast(keep, ctypes.c_void_p).value
    else:
        import cffi

        ffi = cffi.FFI()
        keep = ffi.callback("int(void *, int)", callback)
        address = int(ffi.cast("uintptr_t", keep))

    def once() -> float:
        start = time.perf_counter_ns()
        lib.drive(address, None, N_SLOW, int(native))
        elapsed = (time.perf_counter_ns() - start) / N_SLOW
        while not items.empty():
            items.get_nowait()
        return elapsed

    return median(once)


def floor_ns(lib: ctypes.CDLL, native: bool) -> float:
    """GIL take + put of one small int + release: the bare floor."""
    items: queue.SimpleQueue[object] = queue.SimpleQueue()

    def once() -> float:
        start = time.perf_counter_ns()
        lib.floor_put(items.put, 1, N, int(native))
        elapsed = (time.perf_counter_ns() - start) / N
        while not items.empty():
            items.get_nowait()
        return elapsed

    return median(once)


def background_ratio() -> float:
    """A CPU-bound Python thread's speed during a blocking call / alone."""
    seconds = 1.0

    def spin() -> int:
        count, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            count += 1
        return count

    def once() -> float:
        alone = spin()
        sim = clusupgrade.Simulator(tuple(range(1, 41)), delay=seconds / 20, callback_thread="native")
        box: list[int] = []
        spinner = threading.Thread(target=lambda: box.append(spin()))
        caller = threading.Thread(target=clusupgrade.upgrade, args=(sim,))
        caller.start()
        spinner.start()
        spinner.join()
        caller.join()
        return box[0] / alone

    return median(once)


FLEET = """
import resource, sys, time, clusupgrade


def peak_kib():
    # VmHWM starts afresh at exec; ru_maxrss may carry the parent's peak
    # across fork and exec (Linux), which hid every size behind the parent's.
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


size = int(sys.argv[1])
before = peak_kib()
sims = [clusupgrade.Simulator(name=f"c{i}", delay=0.05) for i in range(size)]
start = time.perf_counter()
fleet = clusupgrade.upgrade_many(sims, max_parallel=size)
events = sum(1 for _ in fleet)
wall = time.perf_counter() - start
print(events, len(fleet.succeeded), wall, before, peak_kib())
"""
FLEET_SIZES = tuple(int(n) for n in os.environ.get("BENCH_FLEETS", "1000,5000,10000").split(","))


def fleet(size: int) -> dict[str, float]:
    """`size` simulated clusters at once (5 phases, 50 ms apart, callbacks
    on each cluster's own native thread), each run in a fresh interpreter."""
    runs = []
    for _ in range(REPEAT):
        out = subprocess.run(
            [sys.executable, "-c", FLEET, str(size)], capture_output=True, text=True, check=True
        ).stdout
        events, ok, wall, before, peak = out.split()
        assert int(events) == 5 * size and int(ok) == size, out
        runs.append((float(wall), int(peak) / 1024, (int(peak) - int(before)) / 1024))
    return {
        "wall_s": statistics.median(r[0] for r in runs),
        "peak_rss_mib": statistics.median(r[1] for r in runs),
        "growth_mib": statistics.median(r[2] for r in runs),
    }


def per_event_ns(action: Callable[[], object], n: int = 100_000) -> float:
    """CPU ns of this thread per call of `action` (thread time: a busy
    machine's other processes do not count), the best of REPEAT."""

    def once() -> float:
        start = time.thread_time_ns()
        for _ in range(n):
            action()
        return (time.thread_time_ns() - start) / n

    return min(once() for _ in range(REPEAT))


def python_side() -> dict[str, float]:
    """Where the Python side's time per event goes, and what each change
    saved: the costs of the old ways next to the new ones."""
    import dataclasses
    import logging

    from clusupgrade import stream
    from clusupgrade.outcome import log_event
    from clusupgrade.phase import PHASE_RECORD, Phase, PhaseEvent, new_event, to_phase, unpack_phase

    record = PHASE_RECORD.pack(ord("P"), 0, 3, 1_500_000, 1_700_000_000_000_000_000, 4242)
    items: queue.SimpleQueue[object] = queue.SimpleQueue()
    event = new_event(3, 1, 1_500_000, 1_700_000_000_000_000_000, 4242, "c")
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(PhaseEvent)}
    logging.getLogger("clusupgrade").setLevel(logging.WARNING)

    def get() -> None:
        items.put(record)
        items.get(True, 0.2)

    costs = {
        "put_ns": per_event_ns(lambda: items.put(record)),
        "put_get_ns": per_event_ns(get),
        "unpack_ns": per_event_ns(lambda: unpack_phase(record)),
        "enum_call_ns": per_event_ns(lambda: Phase(3)),
        "to_phase_ns": per_event_ns(lambda: to_phase(3)),
        "dataclass_init_ns": per_event_ns(lambda: PhaseEvent(**fields)),
        "new_event_ns": per_event_ns(lambda: new_event(3, 1, 1_500_000, 1_700_000_000_000_000_000, 4242, "c")),
        "log_event_info_off_ns": per_event_ns(lambda: log_event(event)),
    }
    costs["get_ns"] = costs.pop("put_get_ns") - costs["put_ns"]

    # The whole consumer, upgrade() over a call whose records are all
    # queued already: the Python side alone, without the native one.
    # The end record: kind, tag, status, stage, missing export, duration (ns).
    end = END_HEADER.pack(END_KIND, 0, 0, _clusupgrade.STAGE_UPGRADE, -1, 0)

    def consumer(keep_gc: bool) -> float:
        # The stream makes its Call, which is never started: every record
        # is queued already.
        real_launch = stream.launch
        stream.launch = lambda simulator, call, counted=True: True  # type: ignore[assignment]
        try:
            best = float("inf")
            for _ in range(REPEAT):
                phases = clusupgrade.PhaseStream("c", perform=True)
                for _ in range(N):
                    phases._items.put(record)
                phases._items.put(end)
                if not keep_gc:
                    gc.disable()
                start = time.thread_time_ns()
                with phases:
                    for _ in phases:
                        pass
                best = min(best, (time.thread_time_ns() - start) / N)
                gc.enable()
            return best
        finally:
            stream.launch = real_launch

    costs["consumer_ns"] = consumer(True)
    costs["consumer_no_gc_ns"] = consumer(False)
    return costs


PARTS = set(os.environ.get("BENCH_PARTS", "trampoline,python,fleet").split(","))


def main() -> None:
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "repeat": REPEAT,
        "phases": N,
    }
    if "trampoline" in PARTS:
        lib = build_driver()
        for native in (False, True):
            where = "native thread" if native else "calling thread"
            per, _ = trampoline_ns(native)
            _, held = trampoline_ns(native, measure=True)
            results[where] = {
                "trampoline_ns": per,
                "gil_held_ns": held,
                "floor_ns": floor_ns(lib, native),
                **end_to_end(native),
                "ctypes_ns": foreign_callback_ns(lib, "ctypes", native),
                "cffi_ns": foreign_callback_ns(lib, "cffi", native),
            }
        results["background_ratio"] = background_ratio()
    if "python" in PARTS:
        results["python_side"] = python_side()
    if "fleet" in PARTS:
        results["fleets"] = {str(size): fleet(size) for size in FLEET_SIZES}
    print(json.dumps(results, indent=2))
    report(results)


def report(results: dict[str, Any]) -> None:
    """The tables of docs/performance.md."""
    if "native thread" in results:
        print()
        print(
            "| callbacks on | clusupgrade ns/callback | GIL held ns | floor ns | events/s into a Python consumer "
            "| upgrade() events/s | upgrade() ÷ bare loop | ctypes ns | cffi ns | ctypes ÷ ours | cffi ÷ ours |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for where in ("calling thread", "native thread"):
            r = results[where]
            print(
                f"| {where} | {r['trampoline_ns']:.0f} | {r['gil_held_ns']:.0f} | {r['floor_ns']:.0f} | "
                f"{r['events_per_s'] / 1e6:.2f} M | {r['upgrade_events_per_s'] / 1e6:.2f} M | "
                f"{r['upgrade_ratio']:.2f} | {r['ctypes_ns']:.0f} | {r['cffi_ns']:.0f} | "
                f"{r['ctypes_ns'] / r['trampoline_ns']:.1f}× | {r['cffi_ns'] / r['trampoline_ns']:.1f}× |"
            )
        print(f"\nbackground thread during a blocking call: {results['background_ratio']:.3f} of its solo speed")
    if "python_side" in results:
        p = results["python_side"]
        print("\n| per event, CPU ns | before | now |\n|---|---|---|")
        print(f"| wait: get() of a queued record | {p['get_ns']:.0f} | {p['get_ns']:.0f} |")
        print(f"| decode: struct unpack | {p['unpack_ns']:.0f} | {p['unpack_ns']:.0f} |")
        print(f"| Phase lookup: Phase(value) → dict | {p['enum_call_ns']:.0f} | {p['to_phase_ns']:.0f} |")
        print(f"| PhaseEvent: dataclass __init__ → new_event() | {p['dataclass_init_ns']:.0f} | "
              f"{p['new_event_ns']:.0f} |")
        print(f"| logging with INFO off: log_event() → checked once per call | "
              f"{p['log_event_info_off_ns']:.0f} | 0 |")
        print(f"| the whole consumer (upgrade() over queued records) | — | {p['consumer_ns']:.0f} "
              f"({p['consumer_no_gc_ns']:.0f} without the GC) |")
    if "fleets" in results:
        fleets = results["fleets"]
        print("\n| simulated clusters at once | wall s | × the smallest | peak RSS MiB | growth MiB |")
        print("|---|---|---|---|---|")
        first = fleets[str(FLEET_SIZES[0])]["wall_s"]
        for size, f in fleets.items():
            print(f"| {int(size):,} | {f['wall_s']:.2f} | {f['wall_s'] / first:.1f}× | "
                  f"{f['peak_rss_mib']:.0f} | {f['growth_mib']:.0f} |")


if __name__ == "__main__":
    main()
