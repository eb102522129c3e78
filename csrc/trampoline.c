/* The trampoline: the native callback clusapi.dll (or the simulator) calls
 * for every phase of an upgrade.
 *
 * It may run on the thread that made the call or on a thread the cluster
 * made, which has no Python thread state.  Everything that does not need
 * Python (the clock, the thread id, the cancel flag) is done before the
 * GIL is taken, and with the GIL it only builds one tuple and puts it into
 * a queue.SimpleQueue: no user code runs, no exception is left pending,
 * and every path out releases the GIL. */
#include <Python.h>

#include "context.h"
#include "guard.h"
#include "trampoline.h"

typedef struct record {
    int32_t phase;
    int64_t elapsed_ns;
    int64_t wall_ns;
    uint64_t thread_id;
} record;

/* With the GIL held.  TRUE when the record reached the sink. */
static BOOL
forward(cu_context *ctx, const record *rec)
{
    PyObject *item;
    PyObject *result;

    /* Checked again under the GIL: cancel() also runs under it, so no
     * phase is forwarded or answered TRUE after cancel() returned. */
    if (ctx->sink == NULL || cu_atomic_load(&ctx->cancelled)) {
        return FALSE;
    }
    if (ctx->tag != NULL) {
        item = Py_BuildValue("(OiLLK)", ctx->tag, (int)rec->phase,
                             (long long)rec->elapsed_ns, (long long)rec->wall_ns,
                             (unsigned long long)rec->thread_id);
    }
    else {
        item = Py_BuildValue("(iLLK)", (int)rec->phase,
                             (long long)rec->elapsed_ns, (long long)rec->wall_ns,
                             (unsigned long long)rec->thread_id);
    }
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
    BOOL answer;

    /* Captured before the GIL, which may take milliseconds to get. */
    rec.phase = (int32_t)phase;
    rec.elapsed_ns = cu_monotonic_ns() - ctx->t0_ns;
    rec.wall_ns = cu_wall_ns();
    rec.thread_id = cu_thread_id();

    if (cu_atomic_load(&ctx->cancelled)) {
        return FALSE;
    }
    if (!cu_guard_enter()) {
        return FALSE;
    }
    gil = PyGILState_Ensure();
    answer = forward(ctx, &rec);
    PyGILState_Release(gil);
    cu_guard_leave();
    return answer;
}
