/* clusupgrade._clusupgrade.Call: one upgrade call, made either blocking
 * (run()) or on a native worker thread (start()), and its cancel().
 *
 * The object owns one reference to a cu_context and the strong reference
 * to the sink (the queue's bound put) that the context only borrows.  The
 * native side takes references of its own for as long as it runs, so the
 * context outlives this object if a callback can still arrive.
 *
 * Dropping the last reference is how a caller leaves: the dealloc answers
 * FALSE to every later phase, in C, so no Python finalizer is needed (one
 * would swallow a Ctrl+C that arrives while it runs).  What must outlive
 * the caller, a simulated cluster's view of the call, is a Job (job.c). */
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "context.h"
#include "module.h"
#include "slots.h"
#include "guard.h"
#include "worker.h"

/* Longer than any DNS name (253) or NetBIOS name; anything above is a
 * mistake, not a cluster. */
#define MAX_CLUSTER_NAME 255

typedef struct {
    PyObject_HEAD
    cu_context *ctx;
    PyObject *sink;
    PyObject *tag;
} CallObject;

/* Helpers that convert one Python value and say which argument was wrong.
 * Each returns 0 on success, -1 with an exception set. */

static int
to_dword(PyObject *obj, const char *what, DWORD *out)
{
    unsigned long long value;

    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int", what);
        return -1;
    }
    value = PyLong_AsUnsignedLongLong(obj);
    if (value == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        value = 0x100000000ULL;
    }
    if (value > 0xFFFFFFFFULL) {
        PyErr_Format(PyExc_ValueError,
                     "%s must be a Win32 error code from 0 to 2**32-1", what);
        return -1;
    }
    *out = (DWORD)value;
    return 0;
}

static int
to_phase(PyObject *obj, int32_t *out)
{
    long long value;
    int overflow = 0;

    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "every phase must be an int");
        return -1;
    }
    value = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (value == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || value < INT32_MIN || value > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError,
                        "every phase must fit a 32-bit signed int, "
                        "from -2**31 to 2**31-1");
        return -1;
    }
    *out = (int32_t)value;
    return 0;
}

wchar_t *
cu_cluster_name(PyObject *name)
{
    Py_ssize_t len;
    wchar_t *py_copy;
    wchar_t *copy;

    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "cluster must be None or a str");
        return NULL;
    }
    py_copy = PyUnicode_AsWideCharString(name, &len);
    if (py_copy == NULL) {
        return NULL;
    }
    if (len == 0 || len > MAX_CLUSTER_NAME || (Py_ssize_t)wcslen(py_copy) != len) {
        PyMem_Free(py_copy);
        PyErr_Format(PyExc_ValueError,
                     "cluster name must be 1 to %d characters without NUL",
                     MAX_CLUSTER_NAME);
        return NULL;
    }
    /* The context is freed without the GIL, so it cannot hold Python's
     * memory. */
    copy = malloc(((size_t)len + 1) * sizeof(wchar_t));
    if (copy == NULL) {
        PyMem_Free(py_copy);
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(copy, py_copy, ((size_t)len + 1) * sizeof(wchar_t));
    PyMem_Free(py_copy);
    return copy;
}

/* The simulator's script from (phases, delay_ns, status, fail_after,
 * open_error, native_thread), or NULL with an exception set. */
static cu_sim_script *
sim_script(PyObject *spec)
{
    PyObject *phases, *status, *open_error;
    long long delay_ns;
    long fail_after;
    int native_thread;
    Py_ssize_t n, i;
    cu_sim_script *script;

    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "simulator must be a tuple");
        return NULL;
    }
    if (!PyArg_ParseTuple(spec, "O!LOlOp;simulator spec", &PyTuple_Type,
                          &phases, &delay_ns, &status, &fail_after,
                          &open_error, &native_thread)) {
        return NULL;
    }
    n = PyTuple_Size(phases);
    if (delay_ns < 0) {
        PyErr_SetString(PyExc_ValueError, "delay must not be negative");
        return NULL;
    }
    if (fail_after < -1 || fail_after > n) {
        PyErr_SetString(PyExc_ValueError,
                        "fail_after must be -1 or 0 to the number of phases");
        return NULL;
    }
    script = cu_sim_script_new((size_t)n);
    if (script == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (to_phase(PyTuple_GetItem(phases, i), &script->phases[i]) < 0) {
            goto error;
        }
    }
    if (to_dword(status, "status", &script->status) < 0
        || to_dword(open_error, "open_error", &script->open_error) < 0) {
        goto error;
    }
    script->delay_ns = delay_ns;
    script->fail_after = fail_after;
    script->native_thread = native_thread;
    return script;

error:
    cu_sim_script_free(script);
    return NULL;
}

static cu_module_state *
state_of(PyTypeObject *type)
{
    PyObject *module = PyType_GetModule(type);

    return module == NULL ? NULL : PyModule_GetState(module);
}

static PyObject *
call_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"queue", "cluster", "perform", "simulator",
                             "after", "tag", "measure", NULL};
    PyObject *queue, *name = Py_None, *spec = Py_None, *after = Py_None;
    PyObject *tag = NULL;
    int measure = 0;
    int perform = 1;
    wchar_t *cluster = NULL;
    cu_sim_script *sim = NULL;
    cu_module_state *state;
    CallObject *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OpOOOp:Call", kwlist,
                                     &queue, &name, &perform, &spec, &after,
                                     &tag, &measure)) {
        return NULL;
    }
    state = state_of(type);
    if (state == NULL) {
        return NULL;
    }
    if ((PyObject *)Py_TYPE(queue) != state->simple_queue_type) {
        PyErr_SetString(PyExc_TypeError, "queue must be a queue.SimpleQueue");
        return NULL;
    }
    if (after != Py_None && Py_TYPE(after) != state->job_type) {
        PyErr_SetString(PyExc_TypeError, "after must be None or a Job");
        return NULL;
    }
    if (name != Py_None && (cluster = cu_cluster_name(name)) == NULL) {
        return NULL;
    }
    if (spec != Py_None && (sim = sim_script(spec)) == NULL) {
        free(cluster);
        return NULL;
    }
    self = (CallObject *)PyType_GenericAlloc(type, 0);
    if (self == NULL) {
        free(cluster);
        cu_sim_script_free(sim);
        return NULL;
    }
    self->sink = PyObject_GetAttrString(queue, "put");
    if (self->sink == NULL) {
        free(cluster);
        cu_sim_script_free(sim);
        Py_DECREF(self);
        return NULL;
    }
    /* Owns `cluster` and `sim` from here, whatever it returns. */
    self->ctx = cu_context_new(cluster, perform ? TRUE : FALSE, sim,
                               after == Py_None ? NULL
                                                : cu_job_context(after));
    if (self->ctx == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->ctx->sink = self->sink;
    self->ctx->measure = measure;
    if (tag != NULL) {
        Py_INCREF(tag);
        self->tag = tag;
        self->ctx->tag = tag;
    }
    return (PyObject *)self;
}

/* Detaches the sink: from here on callbacks are answered FALSE without
 * touching Python. */
static int
call_clear(PyObject *op)
{
    CallObject *self = (CallObject *)op;

    if (self->ctx != NULL) {
        cu_atomic_store(&self->ctx->cancelled, 1);
        self->ctx->sink = NULL;
        self->ctx->tag = NULL;
    }
    Py_CLEAR(self->sink);
    Py_CLEAR(self->tag);
    return 0;
}

static int
call_traverse(PyObject *op, visitproc visit, void *arg)
{
    CallObject *self = (CallObject *)op;

    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->sink);
    Py_VISIT(self->tag);
    return 0;
}

static void
call_dealloc(PyObject *op)
{
    CallObject *self = (CallObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);

    PyObject_GC_UnTrack(op);
    (void)call_clear(op);
    if (self->ctx != NULL) {
        cu_context_decref(self->ctx);
        self->ctx = NULL;
    }
    tp_free(op);
    Py_DECREF(type);
}

static const cu_backend *
backend_of(cu_context *ctx)
{
    return ctx->sim != NULL ? &cu_simulator_backend : &cu_clusapi_backend;
}

/* 0 when the call may begin, -1 with an exception set. */
static int
begin(CallObject *self)
{
    if (self->ctx->started) {
        PyErr_SetString(PyExc_RuntimeError, "a Call can run only once");
        return -1;
    }
    if (cu_guard_closed()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "clusupgrade is shut down: the interpreter is exiting");
        return -1;
    }
    self->ctx->started = 1;
    return 0;
}

PyDoc_STRVAR(run_doc,
"run() -> (status, stage)\n\n"
"Make the call on this thread and block until the cluster answers,\n"
"without the GIL.  Every phase is put into the queue as 28 bytes, struct\n"
"'=iqqQ' (phase, elapsed_ns, wall_ns, thread_id).  `status` is the Win32\n"
"result; `stage` is STAGE_LOAD when loading clusapi.dll failed, STAGE_OPEN\n"
"when opening the cluster failed, STAGE_UPGRADE otherwise.");

static PyObject *
call_run(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;
    cu_context *ctx = self->ctx;
    cu_stage stage = CU_STAGE_LOAD;
    DWORD status;

    if (begin(self) < 0) {
        return NULL;
    }
    /* The native side's own reference: if this thread never gets the GIL
     * back (interpreter shutdown), the context stays valid for callbacks. */
    cu_context_incref(ctx);
    Py_BEGIN_ALLOW_THREADS
    cu_call_native(backend_of(ctx), ctx, &status, &stage);
    Py_END_ALLOW_THREADS
    cu_context_decref(ctx);
    return Py_BuildValue("(ki)", (unsigned long)status, (int)stage);
}

PyDoc_STRVAR(start_doc,
"start()\n\n"
"Make the call on a native thread of its own and return at once.  The\n"
"phases go into the queue as with run(), followed by one (status, stage)\n"
"tuple when the call has returned.");

static PyObject *
call_start(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;
    DWORD err;

    if (begin(self) < 0) {
        return NULL;
    }
    err = cu_worker_start(backend_of(self->ctx), self->ctx);
    if (err != 0) {
        return PyErr_Format(PyExc_OSError,
                            "could not start the call's thread (error %lu)",
                            (unsigned long)err);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(cancel_doc,
"cancel()\n\n"
"Answer FALSE to every later callback and forward none of them.  Safe\n"
"from any thread; the native call itself goes on until the cluster\n"
"returns.");

static PyObject *
call_cancel(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;

    cu_atomic_store(&self->ctx->cancelled, 1);
    Py_RETURN_NONE;
}

static PyObject *
call_get_cancelled(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyBool_FromLong(cu_atomic_load(&self->ctx->cancelled) != 0);
}

static PyObject *
call_get_job(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;
    cu_module_state *state = state_of(Py_TYPE(op));

    return state == NULL ? NULL : cu_job_new(state->job_type, self->ctx);
}

static PyObject *
call_get_caller_thread(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    /* Written before the first callback; readers have seen one, through
     * the queue and the GIL, or get 0. */
    return PyLong_FromUnsignedLongLong(self->ctx->caller_thread);
}

static PyObject *
call_get_gil_held_ns(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyLong_FromLongLong(self->ctx->gil_held_ns);
}

static PyObject *
call_get_lost(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyBool_FromLong(self->ctx->lost);
}

static PyMethodDef call_methods[] = {
    {"run", call_run, METH_NOARGS, run_doc},
    {"start", call_start, METH_NOARGS, start_doc},
    {"cancel", call_cancel, METH_NOARGS, cancel_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef call_getset[] = {
    {"cancelled", call_get_cancelled, NULL,
     "True once later callbacks are answered FALSE.", NULL},
    {"job", call_get_job, NULL,
     "A new Job: this call as its cluster sees it.", NULL},
    {"caller_thread", call_get_caller_thread, NULL,
     "Native id of the thread that made the call (0 before it began).", NULL},
    {"gil_held_ns", call_get_gil_held_ns, NULL,
     "With measure=True: nanoseconds callbacks held the GIL, in all.", NULL},
    {"lost", call_get_lost, NULL,
     "True when a phase could not be put into the queue.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(call_doc,
"Call(queue, cluster=None, perform=True, simulator=None, after=None)\n\n"
"One ClusterUpgradeFunctionalLevel call.  `queue` is a queue.SimpleQueue\n"
"that receives every phase; `cluster` is None for the local cluster or its\n"
"name; `simulator` is None for clusapi.dll or the script\n"
"(phases, delay_ns, status, fail_after, open_error, native_thread);\n"
"`after` is a Job that must return before this one begins; `tag`, when\n"
"given, is put in front of every record, so that calls can share a queue;\n"
"`measure` adds up how long callbacks hold the GIL (gil_held_ns).");

CU_SLOTS_BEGIN
static PyType_Slot call_slots[] = {
    {Py_tp_new, call_new},
    {Py_tp_dealloc, call_dealloc},
    {Py_tp_traverse, call_traverse},
    {Py_tp_clear, call_clear},
    {Py_tp_methods, call_methods},
    {Py_tp_getset, call_getset},
    {Py_tp_doc, (void *)call_doc},
    {0, NULL},
};
CU_SLOTS_END

/* Not subclassable: PyType_GetModule() finds the module state only from
 * the exact type. */
PyType_Spec cu_call_spec = {
    .name = "clusupgrade._clusupgrade.Call",
    .basicsize = sizeof(CallObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = call_slots,
};
