/* The asyncio relay: a native thread that runs one asyncio stream's
 * `step` over and over, so that the stream's records reach its event loop
 * (aio.py).
 *
 * A native thread, not a threading.Thread, for the reason the call's
 * worker is one (worker.c): a Python thread that is still starting when
 * the interpreter begins to finalize crashes CPython 3.11.  This one
 * enters Python only through the shutdown guard.
 *
 * It stays inside the guard, holding one thread state, from its first step
 * to its last: step() blocks for at most a fraction of a second, without
 * the GIL, in the queue's get(), so shutdown waits at most that long for
 * it, and in return the relay always leaves cleanly, releasing `step` and
 * its thread state with the GIL.  It stops when step() returns false or
 * raises, or once the guard has closed. */
#include <Python.h>

#include "fork.h"
#include "guard.h"
#include "module.h"
#include "relay.h"

/* Relays started in this process that have not ended.  A relay that
 * started before a fork is not counted in the child. */
static cu_atomic running;

/* With the GIL held: calls step().  Non-zero when it asks for another
 * call; no exception is left pending. */
static int
run_step(PyObject *step)
{
    PyObject *result = PyObject_CallNoArgs(step);
    int again = 0;

    if (result == NULL) {
        goto unraisable;
    }
    again = PyObject_IsTrue(result);
    Py_DECREF(result);
    if (again < 0) {
        goto unraisable;
    }
    return again;

unraisable:
    /* Nobody on this thread could catch it. */
    PyErr_WriteUnraisable(step);
    return 0;
}

static void
relay_main(void *raw)
{
    PyObject *step = raw;
    long generation = cu_fork_generation();
    PyGILState_STATE gil;

    if (!cu_guard_enter()) {
        /* The interpreter is exiting, and `step` cannot be released
         * without the GIL: it goes with the process. */
        goto done;
    }
    gil = PyGILState_Ensure();
    while (!cu_guard_closed() && run_step(step)) {
    }
    Py_DECREF(step);
    PyGILState_Release(gil);
    cu_guard_leave();

done:
    /* A relay that forked (from a finalizer in step) is not counted in
     * the child it continues in. */
    if (cu_fork_generation() == generation) {
        cu_atomic_add(&running, -1);
    }
}

PyObject *
cu_start_relay(PyObject *Py_UNUSED(module), PyObject *step)
{
    cu_thread thread;
    DWORD err;

    if (!PyCallable_Check(step)) {
        PyErr_SetString(PyExc_TypeError, "step must be callable");
        return NULL;
    }
    if (cu_guard_closed()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "clusupgrade is shut down: the interpreter is exiting");
        return NULL;
    }
    /* The thread's reference, released by the thread. */
    Py_INCREF(step);
    cu_atomic_add(&running, 1);
    /* The platform's default stack: step() runs Python code, and a
     * collection (with its finalizers) may run inside it. */
    err = cu_thread_start(&thread, relay_main, step, 0);
    if (err != 0) {
        cu_atomic_add(&running, -1);
        Py_DECREF(step);
        return PyErr_Format(PyExc_OSError,
                            "could not start the relay's thread (error %lu)",
                            (unsigned long)err);
    }
    cu_thread_detach(thread);
    Py_RETURN_NONE;
}

PyObject *
cu_relays(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(cu_atomic_load(&running));
}

void
cu_relay_after_fork_child(void)
{
    cu_atomic_store(&running, 0);
}
