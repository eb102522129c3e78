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
#include "trampoline.h"
#include "worker.h"

typedef struct worker_args {
    const cu_backend *backend;
    cu_context *ctx;
} worker_args;

void
cu_call_native(const cu_backend *backend, cu_context *ctx, DWORD *status,
               cu_stage *stage)
{
    /* A simulated cluster runs one upgrade at a time, as a real one does. */
    if (ctx->after != NULL) {
        (void)cu_event_wait(&ctx->after->done, -1);
    }
    ctx->caller_thread = cu_thread_id();
    *status = cu_backend_run(backend, ctx, cu_trampoline, stage);
    cu_context_finish(ctx);
}

/* With the GIL held: puts (status, stage) into the sink, if there is still
 * one. */
static void
deliver(cu_context *ctx, DWORD status, cu_stage stage)
{
    PyObject *item, *result;

    if (ctx->sink == NULL) {
        return;
    }
    item = ctx->tag != NULL
        ? Py_BuildValue("(Oki)", ctx->tag, (unsigned long)status, (int)stage)
        : Py_BuildValue("(ki)", (unsigned long)status, (int)stage);
    result = item ? PyObject_CallFunctionObjArgs(ctx->sink, item, NULL) : NULL;
    Py_XDECREF(item);
    Py_XDECREF(result);
    /* Out of memory with nobody to tell on this thread: the consumer still
     * stops, through its cancel or timeout. */
    PyErr_Clear();
}

static void
worker_main(void *raw)
{
    worker_args args = *(worker_args *)raw;
    PyGILState_STATE gil;
    PyThreadState *saved;
    cu_stage stage = CU_STAGE_LOAD;
    DWORD status = CU_ERROR_CANCELLED;

    free(raw);
    if (!cu_guard_enter()) {
        /* The interpreter is exiting: no upgrade starts that nobody can
         * watch. */
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

    cu_call_native(args.backend, args.ctx, &status, &stage);

    /* Once the guard has closed, the thread state belongs to the
     * finalizing interpreter and is never touched again. */
    if (cu_guard_enter()) {
        PyEval_RestoreThread(saved);
        deliver(args.ctx, status, stage);
        PyGILState_Release(gil);
        cu_guard_leave();
    }
    cu_context_decref(args.ctx);
}

DWORD
cu_worker_start(const cu_backend *backend, cu_context *ctx)
{
    worker_args *args = malloc(sizeof(*args));
    cu_thread thread;
    DWORD err;

    if (args == NULL) {
        return CU_ERROR_NOT_ENOUGH_MEMORY;
    }
    args->backend = backend;
    args->ctx = ctx;
    cu_context_incref(ctx);
    err = cu_thread_start(&thread, worker_main, args);
    if (err != 0) {
        cu_context_decref(ctx);
        free(args);
        return err;
    }
    cu_thread_detach(thread);
    return 0;
}
