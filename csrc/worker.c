/* The call's worker: a native thread that makes the blocking call, so the
 * Python thread that asked for it only waits on a queue and stays
 * responsive to Ctrl+C and timeouts.
 *
 * A native thread, not a threading.Thread: a Python thread that is still
 * starting when the interpreter begins to finalize (Ctrl+C at the wrong
 * moment) crashes CPython 3.11, while this one enters Python only through
 * the shutdown guard. */
#include <Python.h>
#include <stdlib.h>

#include "guard.h"
#include "record.h"
#include "trampoline.h"
#include "worker.h"

typedef struct worker_args {
    const cu_backend *backend;
    cu_context *ctx;
} worker_args;

/* Out of memory while collecting the sections.  A query has nothing else
 * to report, so it fails with ERROR_NOT_ENOUGH_MEMORY.  An upgrade keeps
 * the cluster's own status: the call was made (and a raise cannot be
 * undone); only what was read around it is lost, which its sections say,
 * so the Python layer reports the levels as unknown rather than the call
 * as failed. */
static void
drop_payload(cu_context *ctx)
{
    cu_buf_free(&ctx->payload);
    if (ctx->kind == CU_KIND_QUERY) {
        if (ctx->status == 0) {
            ctx->status = CU_ERROR_NOT_ENOUGH_MEMORY;
        }
        return;
    }
    cu_buf_section_absent(&ctx->payload, CU_SECTION_CLUSTER_PROPS,
                          CU_ERROR_NOT_ENOUGH_MEMORY);
    if (ctx->perform) {
        cu_buf_section_absent(&ctx->payload, CU_SECTION_CLUSTER_PROPS_AFTER,
                              CU_ERROR_NOT_ENOUGH_MEMORY);
    }
    if (ctx->payload.failed) {
        /* No sections at all: the levels read as unknown just the same. */
        cu_buf_free(&ctx->payload);
    }
}

void
cu_call_native(const cu_backend *backend, cu_context *ctx)
{
    cu_stage stage = CU_STAGE_LOAD;
    int missing = -1;

    /* Phases' elapsed times count from here, not from when the Call was
     * made. */
    ctx->t0_ns = cu_monotonic_ns();
    cu_atomic_store(&ctx->caller_thread, (long)cu_thread_id());
    ctx->status = cu_backend_run(backend, ctx, cu_trampoline, &stage,
                                 &missing);
    /* Where the call ends, not where a consumer reads its end: a slow
     * consumer does not lengthen it. */
    ctx->duration_ns = cu_monotonic_ns() - ctx->t0_ns;
    ctx->stage = (int)stage;
    ctx->missing = missing;
    if (ctx->payload.failed) {
        drop_payload(ctx);
    }
    /* Publishes the outcome: readers see it once they see `finished`. */
    cu_context_finish(ctx);
}

/* With the GIL held: puts the end record into the sink, if there is still
 * one.  A failure here is not fatal: the consumer, finding the call
 * finished and nothing more in its queue, reads the same record from the
 * Call (Call.end()), so it never waits for ever. */
static void
deliver(cu_context *ctx)
{
    PyObject *record, *result;

    if (ctx->sink == NULL) {
        return;
    }
    record = cu_record_end(ctx);
    result = record ? PyObject_CallFunctionObjArgs(ctx->sink, record, NULL)
                    : NULL;
    Py_XDECREF(record);
    Py_XDECREF(result);
    PyErr_Clear();
}

static void
worker_main(void *raw)
{
    worker_args args = *(worker_args *)raw;
    PyGILState_STATE gil;
    PyThreadState *saved;

    free(raw);
    if (!cu_guard_enter()) {
        /* The interpreter is exiting: no upgrade starts that nobody can
         * watch. */
        args.ctx->status = CU_ERROR_CANCELLED;
        args.ctx->stage = CU_STAGE_OPEN;
        cu_context_finish(args.ctx);
        cu_context_decref(args.ctx);
        return;
    }
    /* One thread state for the whole call, so that callbacks on this
     * thread (the calling thread, to the cluster) take the GIL without
     * creating one each time.  Not counted as inside the guard while the
     * call runs: it may block for an hour, and shutdown must not wait. */
    gil = PyGILState_Ensure();
    saved = PyEval_SaveThread();
    cu_guard_leave();

    cu_call_native(args.backend, args.ctx);

    /* Once the guard has closed, the thread state belongs to the
     * finalizing interpreter and is never touched again. */
    if (cu_guard_enter()) {
        PyEval_RestoreThread(saved);
        deliver(args.ctx);
        PyGILState_Release(gil);
        cu_guard_leave();
    }
    cu_context_decref(args.ctx);
}

DWORD
cu_worker_start(const cu_backend *backend, cu_context *ctx)
{
    worker_args *args = malloc(sizeof(*args));
    /* The real call runs clusapi's RPC and authentication on this thread:
     * it gets the platform's default stack.  A simulated one only calls
     * back, and a fleet may run thousands. */
    size_t stack = backend == &cu_simulator_backend ? CU_SMALL_STACK : 0;
    cu_thread thread;
    DWORD err;

    if (args == NULL) {
        return CU_ERROR_NOT_ENOUGH_MEMORY;
    }
    args->backend = backend;
    args->ctx = ctx;
    cu_context_incref(ctx);
    err = cu_thread_start(&thread, worker_main, args, stack);
    if (err != 0) {
        cu_context_decref(ctx);
        free(args);
        return err;
    }
    cu_thread_detach(thread);
    return 0;
}
