/* Benchmark-only helper library, built by benchmarks/run.py (never shipped).
 *
 * drive():  the simulator's own driving loop (csrc/backend_sim.c, compiled
 *           in) calling any C callback, so ctypes and cffi callbacks are
 *           driven by exactly the loop that drives clusupgrade's trampoline.
 * floor():  the bare cost the trampoline cannot avoid: take the GIL, put
 *           one small int into the queue, release the GIL. */
#include <Python.h>

#include "backend.h"
#include "context.h"

int
drive(PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, void *arg, int n_phases,
      int native_thread)
{
    cu_context *ctx;
    cu_sim_script *script = cu_sim_script_new((size_t)n_phases);
    cu_stage stage;
    DWORD status;
    int i;

    if (script == NULL) {
        return -1;
    }
    for (i = 0; i < n_phases; i++) {
        script->phases[i] = 1 + i % 5;
    }
    script->native_thread = native_thread;
    ctx = cu_context_new(NULL, TRUE, script);
    if (ctx == NULL) {
        return -1;
    }
    /* The callback gets `arg`, not the context: it is not a trampoline. */
    {
        void *cluster = NULL;
        cu_simulator_backend.open(ctx, &cluster);
        status = cu_simulator_backend.upgrade(cluster, TRUE, callback, arg);
        stage = CU_STAGE_UPGRADE;
        (void)stage;
    }
    cu_context_decref(ctx);
    return (int)status;
}

typedef struct floor_args {
    PyObject *put;
    PyObject *item;
    int n;
} floor_args;

static void
floor_loop(void *raw)
{
    floor_args *args = raw;
    int i;

    for (i = 0; i < args->n; i++) {
        PyGILState_STATE gil = PyGILState_Ensure();
        PyObject *result = PyObject_CallFunctionObjArgs(args->put, args->item, NULL);
        Py_XDECREF(result);
        PyGILState_Release(gil);
    }
}

/* Called through ctypes.CDLL, so without the GIL. */
int
floor_put(PyObject *put, PyObject *item, int n, int native_thread)
{
    floor_args args = {put, item, n};
    cu_thread thread;

    if (!native_thread) {
        floor_loop(&args);
        return 0;
    }
    if (cu_thread_start(&thread, floor_loop, &args, CU_SMALL_STACK) != 0) {
        return -1;
    }
    cu_thread_join(thread);
    return 0;
}
