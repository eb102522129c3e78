/* The trampoline: the native callback clusapi.dll (or the simulator) calls
 * for every phase of an upgrade.
 *
 * It may run on the thread that made the call or on a thread the cluster
 * made, which has no Python thread state.  Everything that does not need
 * Python (the clock, the thread id, the abort and detach flags, packing
 * the record) is done before the GIL is taken, and with the GIL it only makes one
 * bytes object (record.h: never tracked by the garbage collector, so no
 * collection, and no user __del__, can start here) and puts it into a
 * queue.SimpleQueue, whose put() runs no Python code.  No exception is
 * left pending, and every path out releases the GIL. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "context.h"
#include "guard.h"
#include "record.h"
#include "trampoline.h"

/* With the GIL held.  The answer for the cluster: FALSE only once the
 * call was aborted (Call.abort(), an explicit request); TRUE in every
 * other case, also when the consumer is gone or a record could not be
 * made or put: TRUE is what the cluster would see with no callback at
 * all, and a failure or departure of the observer must not touch the
 * cluster's call. */
static BOOL
forward(cu_context *ctx, const char *packed)
{
    PyObject *item;
    PyObject *result;

    /* Checked again under the GIL: abort() and detach() also run under
     * it, so no phase is answered TRUE after abort() returned, and none
     * is forwarded after detach() returned. */
    if (cu_atomic_load(&ctx->aborted)) {
        return FALSE;
    }
    if (ctx->sink == NULL) {
        return TRUE;
    }
    item = PyBytes_FromStringAndSize(packed, CU_PHASE_RECORD_SIZE);
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
    /* Out of memory, with nobody on this thread to tell: the consumer
     * learns of the gap through `lost`, and the cluster goes on. */
    PyErr_Clear();
    ctx->lost = 1;
    return TRUE;
}

BOOL WINAPI
cu_trampoline(PVOID arg, CLUSTER_UPGRADE_PHASE phase)
{
    cu_context *ctx = arg;
    PyGILState_STATE gil;
    char packed[CU_PHASE_RECORD_SIZE];
    BOOL answer;

    /* An aborted call, or one nobody listens to, is answered without
     * reading a clock or taking the GIL. */
    if (cu_atomic_load(&ctx->aborted)) {
        return FALSE;
    }
    if (cu_atomic_load(&ctx->detached)) {
        return TRUE;
    }
    /* Captured before the GIL, which may take milliseconds to get. */
    cu_record_phase(ctx, (int32_t)phase, cu_monotonic_ns() - ctx->t0_ns,
                    cu_wall_ns(), cu_thread_id(), packed);

    if (!cu_guard_enter()) {
        /* The interpreter is exiting: nobody can listen any more, which
         * is no reason to disturb the cluster. */
        return TRUE;
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
