/* clusupgrade._clusupgrade.Job: one call as its cluster sees it, apart
 * from the Call that made it.
 *
 * A Call is the caller's end: when the last reference to it goes, its
 * dealloc detaches it (every later phase is answered TRUE and forwarded
 * nowhere), so a stream that is dropped stops listening without running
 * any Python code (a finalizer written in
 * Python would swallow a Ctrl+C that lands in it).  A simulated cluster
 * must still order its calls and report their answers after the caller
 * has gone; it keeps Jobs, which own a reference to the context and no
 * Python object. */
#include <Python.h>

#include "context.h"
#include "fork.h"
#include "module.h"
#include "slots.h"

/* Longest wait without the GIL: a Ctrl+C is handled between two. */
#define WAIT_STEP_NS 100000000

typedef struct {
    PyObject_HEAD
    cu_context *ctx;
    long fork_generation;   /* cu_fork_generation() when it was made */
} JobObject;

cu_context *
cu_job_context(PyObject *job)
{
    return ((JobObject *)job)->ctx;
}

PyObject *
cu_job_new(PyTypeObject *type, cu_context *ctx)
{
    JobObject *self = (JobObject *)PyType_GenericAlloc(type, 0);

    if (self == NULL) {
        return NULL;
    }
    cu_context_incref(ctx);
    self->ctx = ctx;
    self->fork_generation = cu_fork_generation();
    return (PyObject *)self;
}

static void
job_dealloc(PyObject *op)
{
    JobObject *self = (JobObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);

    cu_context_decref(self->ctx);
    tp_free(op);
    Py_DECREF(type);
}

PyDoc_STRVAR(wait_doc,
"wait(timeout=None) -> bool\n\n"
"Wait, without the GIL, until the native call has returned; False when\n"
"`timeout` seconds passed first.  Ctrl+C interrupts the wait.  In a\n"
"forked child, a call that had not returned when the parent forked\n"
"raises RuntimeError: its thread stayed in the parent.");

/* Waits for `event` at most timeout_ns (< 0: forever) in short steps
 * without the GIL, running signal handlers between two, because a
 * condition variable's wait resumes after a signal.  1 when the event is
 * set, 0 when the time is up, -1 with an exception set. */
static int
wait_interruptibly(cu_event *event, int64_t timeout_ns)
{
    int64_t deadline = timeout_ns < 0 ? -1 : cu_monotonic_ns() + timeout_ns;

    for (;;) {
        int64_t step = WAIT_STEP_NS;
        int set;

        if (deadline >= 0) {
            int64_t left = deadline - cu_monotonic_ns();
            if (left < step) {
                step = left > 0 ? left : 0;
            }
        }
        Py_BEGIN_ALLOW_THREADS
        set = cu_event_wait(event, step);
        Py_END_ALLOW_THREADS
        if (set) {
            return 1;
        }
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
        if (deadline >= 0 && cu_monotonic_ns() >= deadline) {
            return 0;
        }
    }
}

/* wait() for a Job made before the fork that made this process: nothing
 * will ever set the copied event, and its lock may have been copied
 * locked, so only the copied flag is read. */
static PyObject *
wait_inherited(JobObject *self)
{
    if (cu_atomic_load(&self->ctx->finished)) {
        Py_RETURN_TRUE;
    }
    PyErr_SetString(PyExc_RuntimeError,
                    "this call was started before os.fork(), in the parent "
                    "process: it runs on there, and this child cannot wait "
                    "for it");
    return NULL;
}

static PyObject *
job_wait(PyObject *op, PyObject *args)
{
    JobObject *self = (JobObject *)op;
    PyObject *timeout = Py_None;
    int64_t timeout_ns = -1;
    int done;

    if (!PyArg_ParseTuple(args, "|O:wait", &timeout)) {
        return NULL;
    }
    if (timeout != Py_None) {
        double seconds = PyFloat_AsDouble(timeout);
        if (seconds == -1.0 && PyErr_Occurred()) {
            return NULL;
        }
        if (!(seconds >= 0.0)) {
            PyErr_SetString(PyExc_ValueError,
                            "timeout must be a non-negative number");
            return NULL;
        }
        /* Beyond about 31 years, the deadline could overflow: wait
         * forever. */
        timeout_ns = seconds < 1.0e9 ? (int64_t)(seconds * 1e9) : -1;
    }
    if (self->fork_generation != cu_fork_generation()) {
        return wait_inherited(self);
    }
    done = wait_interruptibly(&self->ctx->done, timeout_ns);
    return done < 0 ? NULL : PyBool_FromLong(done);
}

PyDoc_STRVAR(answers_doc,
"answers() -> list[bool]\n\n"
"What the trampoline answered the simulated cluster, in order.  Known\n"
"once the call has returned.");

static PyObject *
job_answers(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    JobObject *self = (JobObject *)op;
    cu_sim_script *sim = self->ctx->sim;
    PyObject *list;
    size_t i;

    if (sim == NULL) {
        PyErr_SetString(PyExc_TypeError, "only a simulated call has answers");
        return NULL;
    }
    /* The native side writes the answers until it finishes; after that
     * they never change. */
    if (self->ctx->started && !cu_atomic_load(&self->ctx->finished)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "answers are known once the call has returned");
        return NULL;
    }
    list = PyList_New((Py_ssize_t)sim->n_answers);
    if (list == NULL) {
        return NULL;
    }
    for (i = 0; i < sim->n_answers; i++) {
        PyObject *answer = PyBool_FromLong(sim->answers[i]);
        /* PyList_SetItem steals the reference, also on failure. */
        if (PyList_SetItem(list, (Py_ssize_t)i, answer) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    return list;
}

static PyObject *
job_get_finished(PyObject *op, void *Py_UNUSED(closure))
{
    JobObject *self = (JobObject *)op;

    return PyBool_FromLong(cu_atomic_load(&self->ctx->finished) != 0);
}

/* ctx->started is written with the GIL held, and so read here. */
static PyObject *
job_get_started(PyObject *op, void *Py_UNUSED(closure))
{
    JobObject *self = (JobObject *)op;

    return PyBool_FromLong(self->ctx->started);
}

static PyMethodDef job_methods[] = {
    {"wait", job_wait, METH_VARARGS, wait_doc},
    {"answers", job_answers, METH_NOARGS, answers_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef job_getset[] = {
    {"finished", job_get_finished, NULL,
     "True once the native call has returned.", NULL},
    {"started", job_get_started, NULL,
     "True once the call was started (a Call stored before it starts may\n"
     "never be).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(job_doc,
"One call as its cluster sees it (Call.job): whether it has returned and\n"
"what it was answered.  It outlives the Call, and keeping it does not keep\n"
"the Call's listener alive.");

CU_SLOTS_BEGIN
static PyType_Slot job_slots[] = {
    {Py_tp_dealloc, job_dealloc},
    {Py_tp_methods, job_methods},
    {Py_tp_getset, job_getset},
    {Py_tp_doc, (void *)job_doc},
    {0, NULL},
};
CU_SLOTS_END

/* Made only by Call.job, so that a Job always has a context. */
PyType_Spec cu_job_spec = {
    .name = "clusupgrade._clusupgrade.Job",
    .basicsize = sizeof(JobObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = job_slots,
};
