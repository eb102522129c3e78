"""Measures clusupgrade's trampoline against the alternatives.

    bash benchmarks/run.sh        # sets up .venv with cffi, then runs this

Every figure is the median of REPEAT runs, measured in this one process on
this machine; the README quotes a run.  Nothing here is a unit test: no
timing is asserted anywhere in tests/.
"""

from __future__ import annotations

import ctypes
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

import clusupgrade
from clusupgrade import _clusupgrade
from clusupgrade.phase import END_KIND

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


def end_to_end(native: bool) -> float:
    """Events per second from the cluster into a Python consumer."""
    spec = script(N, native)

    def once() -> float:
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
        assert got == N
        return N / (time.perf_counter() - start)

    return median(once)


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
import resource, time, clusupgrade
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sims = [clusupgrade.Simulator(name=f"c{i}", delay=0.05) for i in range(1000)]
start = time.perf_counter()
fleet = clusupgrade.upgrade_many(sims, max_parallel=1000)
events = sum(1 for _ in fleet)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(events, len(fleet.succeeded), wall, before, peak)
"""


def fleet() -> dict[str, float]:
    runs = []
    for _ in range(REPEAT):
        out = subprocess.run([sys.executable, "-c", FLEET], capture_output=True, text=True, check=True).stdout
        events, ok, wall, before, peak = out.split()
        assert int(events) == 5000 and int(ok) == 1000, out
        runs.append((float(wall), int(peak) / 1024, (int(peak) - int(before)) / 1024))
    return {
        "wall_s": statistics.median(r[0] for r in runs),
        "peak_rss_mib": statistics.median(r[1] for r in runs),
        "growth_mib": statistics.median(r[2] for r in runs),
    }


def main() -> None:
    lib = build_driver()
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "repeat": REPEAT,
        "phases": N,
    }
    for native in (False, True):
        where = "native thread" if native else "calling thread"
        per, _ = trampoline_ns(native)
        _, held = trampoline_ns(native, measure=True)
        results[where] = {
            "trampoline_ns": per,
            "gil_held_ns": held,
            "floor_ns": floor_ns(lib, native),
            "events_per_s": end_to_end(native),
            "ctypes_ns": foreign_callback_ns(lib, "ctypes", native),
            "cffi_ns": foreign_callback_ns(lib, "cffi", native),
        }
    results["background_ratio"] = background_ratio()
    results["fleet_1000"] = fleet()
    print(json.dumps(results, indent=2))
    print()
    print(
        "| path | trampoline ns/callback | floor ns | ratio to floor | GIL held ns | "
        "events/s into Python | ctypes ns | cffi ns | ctypes / ours | cffi / ours |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for where in ("calling thread", "native thread"):
        r = results[where]  # type: ignore[index]
        print(
            f"| {where} | {r['trampoline_ns']:.0f} | {r['floor_ns']:.0f} | {r['trampoline_ns'] / r['floor_ns']:.2f}x | "
            f"{r['gil_held_ns']:.0f} | {r['events_per_s'] / 1e6:.2f} M | {r['ctypes_ns']:.0f} | {r['cffi_ns']:.0f} | "
            f"{r['ctypes_ns'] / r['trampoline_ns']:.1f}x | {r['cffi_ns'] / r['trampoline_ns']:.1f}x |"
        )
    f = results["fleet_1000"]  # type: ignore[index]
    print(f"\nbackground thread during a blocking call: {results['background_ratio']:.3f} of its solo speed")
    print(f"fleet of 1000 simulated clusters: {f['wall_s']:.2f} s, peak RSS {f['peak_rss_mib']:.0f} MiB "
          f"(+{f['growth_mib']:.0f} MiB), all 5000 events delivered")


if __name__ == "__main__":
    main()
