/* The trampoline: the native callback clusapi.dll (or the simulator) calls
 * for every phase of an upgrade.
 *
 * It may run on the thread that made the call or on a thread the cluster
 * made, which has no Python thread state.  Everything that does not need
 * Python (the clock, the thread id, the cancel flag) is done before the
 * GIL is taken, and with the GIL it only builds one tuple and puts it into
 * a queue.SimpleQueue: no user code runs, no exception is left pending,
 * and every path out releases the GIL. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "context.h"
#include "guard.h"
#include "trampoline.h"

typedef struct record {
    int32_t phase;
    int64_t elapsed_ns;
    int64_t wall_ns;
    uint64_t thread_id;
} record;

/* The record as 28 bytes: int32 phase, int64 elapsed_ns, int64 wall_ns,
 * uint64 thread_id, native byte order, no padding (struct "=iqqQ").  One
 * bytes object is one allocation under the GIL, where a tuple of ints is
 * four. */
#define RECORD_SIZE 28

static void
pack(const record *rec, char out[RECORD_SIZE])
{
    memcpy(out, &rec->phase, 4);
    memcpy(out + 4, &rec->elapsed_ns, 8);
    memcpy(out + 12, &rec->wall_ns, 8);
    memcpy(out + 20, &rec->thread_id, 8);
}

/* With the GIL held.  TRUE when the record reached the sink. */
static BOOL
forward(cu_context *ctx, const char *packed)
{
    PyObject *item;
    PyObject *result;

    /* Checked again under the GIL: cancel() also runs under it, so no
     * phase is forwarded or answered TRUE after cancel() returned. */
    if (ctx->sink == NULL || cu_atomic_load(&ctx->cancelled)) {
        return FALSE;
    }
    item = ctx->tag != NULL
        ? Py_BuildValue("(Oy#)", ctx->tag, packed, (Py_ssize_t)RECORD_SIZE)
        : PyBytes_FromStringAndSize(packed, RECORD_SIZE);
    if (item == NULL) {
        goto lost;
    }
    result = PyObject_CallFunctionObjArgs(ctx->sink, item, NULL);
    Py_DECREF(item);
    if (result == NULL) {
        goto lost;
    }
    Py_DECREF(result);
    return TRUE;

lost:
    /* Nobody could handle the exception on this thread; the consumer
     * learns of the loss through `lost` and the cancelled call, because an
     * upgrade nobody can follow should not go on. */
    PyErr_Clear();
    ctx->lost = 1;
    cu_atomic_store(&ctx->cancelled, 1);
    return FALSE;
}

BOOL WINAPI
cu_trampoline(PVOID arg, CLUSTER_UPGRADE_PHASE phase)
{
    cu_context *ctx = arg;
    PyGILState_STATE gil;
    record rec;
    char packed[RECORD_SIZE];
    BOOL answer;

    /* A cancelled call is answered without reading a clock. */
    if (cu_atomic_load(&ctx->cancelled)) {
        return FALSE;
    }
    /* Captured before the GIL, which may take milliseconds to get. */
    rec.phase = (int32_t)phase;
    rec.elapsed_ns = cu_monotonic_ns() - ctx->t0_ns;
    rec.wall_ns = cu_wall_ns();
    rec.thread_id = cu_thread_id();
    pack(&rec, packed);

    if (!cu_guard_enter()) {
        return FALSE;
    }
    gil = PyGILState_Ensure();
    if (ctx->measure) {
        /* For the benchmarks: two more clock reads, only when asked. */
        int64_t held = cu_monotonic_ns();
        answer = forward(ctx, packed);
        ctx->gil_held_ns += cu_monotonic_ns() - held;
    }
    else {
        answer = forward(ctx, packed);
    }
    PyGILState_Release(gil);
    cu_guard_leave();
    return answer;
}
