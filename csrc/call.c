/* clusupgrade._clusupgrade.Call: one upgrade call, made either blocking
 * (run()) or on a native worker thread (start()), its abort() and its
 * detach().
 *
 * The object owns one reference to a cu_context and the strong reference
 * to the sink (the queue's bound put) that the context only borrows.  The
 * native side takes references of its own for as long as it runs, so the
 * context outlives this object if a callback can still arrive.
 *
 * Dropping the last reference is how a caller leaves: the dealloc detaches
 * the call, in C, so that every later phase is answered TRUE and forwarded
 * nowhere, and no Python finalizer is needed (one would swallow a Ctrl+C
 * that arrives while it runs).  Only abort() makes the trampoline answer
 * FALSE: what a cluster does with FALSE is documented nowhere, so it is
 * sent only when someone asked for it.  What must outlive
 * the caller, a simulated cluster's view of the call, is a Job (job.c). */
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "context.h"
#include "module.h"
#include "slots.h"
#include "guard.h"
#include "record.h"
#include "worker.h"

/* Longer than any DNS name (253) or NetBIOS name; anything above is a
 * mistake, not a cluster. */
#define MAX_CLUSTER_NAME 255

typedef struct {
    PyObject_HEAD
    cu_context *ctx;
    PyObject *sink;
} CallObject;

/* Helpers that convert one Python value and say which argument was wrong.
 * Each returns 0 on success, -1 with an exception set. */

int
cu_to_dword(PyObject *obj, const char *what, DWORD *out)
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
        PyErr_Format(PyExc_ValueError, "%s must be from 0 to 2**32-1", what);
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

/* The simulated cluster a spec names: 0 with *out set (NULL for None),
 * or -1 with an exception set. */
static int
sim_model(cu_module_state *state, PyObject *obj, cu_sim_model **out)
{
    *out = NULL;
    if (obj == NULL || obj == Py_None) {
        return 0;
    }
    if (Py_TYPE(obj) != state->sim_model_type) {
        PyErr_SetString(PyExc_TypeError,
                        "the simulator's model must be None or a SimModel");
        return -1;
    }
    if (cu_sim_model_usable(cu_sim_model_of(obj)) < 0) {
        return -1;
    }
    *out = cu_sim_model_of(obj);
    return 0;
}

/* The simulator's script from (phases, delay_ns, status or None,
 * fail_after, open_error, native_thread[, model]), or NULL with an
 * exception set. */
static cu_sim_script *
sim_script(cu_module_state *state, PyObject *spec)
{
    PyObject *phases, *status, *open_error, *model_obj = NULL;
    long long delay_ns;
    long fail_after;
    int native_thread;
    Py_ssize_t n, i;
    cu_sim_model *model;
    cu_sim_script *script;

    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "simulator must be a tuple");
        return NULL;
    }
    if (!PyArg_ParseTuple(spec, "O!LOlOp|O;simulator spec", &PyTuple_Type,
                          &phases, &delay_ns, &status, &fail_after,
                          &open_error, &native_thread, &model_obj)
        || sim_model(state, model_obj, &model) < 0) {
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
    /* None: the model decides what the call returns. */
    script->has_status = status != Py_None;
    if ((script->has_status
         && cu_to_dword(status, "status", &script->status) < 0)
        || cu_to_dword(open_error, "open_error", &script->open_error) < 0) {
        goto error;
    }
    if (model != NULL) {
        cu_sim_model_incref(model);
        script->model = model;
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

static int
to_kind(int kind, cu_kind *out)
{
    if (kind != CU_KIND_UPGRADE && kind != CU_KIND_QUERY) {
        PyErr_SetString(PyExc_ValueError,
                        "kind must be KIND_UPGRADE or KIND_QUERY");
        return -1;
    }
    *out = (cu_kind)kind;
    return 0;
}

static PyObject *
call_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"queue", "cluster", "perform", "simulator",
                             "tag", "measure", "kind", NULL};
    PyObject *queue, *name = Py_None, *spec = Py_None;
    PyObject *tag_obj = NULL;
    int measure = 0;
    int perform = 1;
    int kind_arg = CU_KIND_UPGRADE;
    DWORD tag = 0;
    cu_kind kind;
    wchar_t *cluster = NULL;
    cu_sim_script *sim = NULL;
    cu_module_state *state;
    CallObject *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OpOOpi:Call", kwlist,
                                     &queue, &name, &perform, &spec,
                                     &tag_obj, &measure, &kind_arg)) {
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
    if ((tag_obj != NULL && cu_to_dword(tag_obj, "tag", &tag) < 0)
        || to_kind(kind_arg, &kind) < 0) {
        return NULL;
    }
    if (name != Py_None && (cluster = cu_cluster_name(name)) == NULL) {
        return NULL;
    }
    if (spec != Py_None && (sim = sim_script(state, spec)) == NULL) {
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
    self->ctx = cu_context_new(cluster, perform ? TRUE : FALSE, sim);
    if (self->ctx == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->ctx->sink = self->sink;
    self->ctx->measure = measure;
    self->ctx->tag = tag;
    self->ctx->kind = kind;
    return (PyObject *)self;
}

/* With the GIL: from here on callbacks are forwarded nowhere and, unless
 * the call was aborted, answered TRUE, without touching Python. */
static void
detach(CallObject *self)
{
    if (self->ctx != NULL) {
        cu_atomic_store(&self->ctx->detached, 1);
        self->ctx->sink = NULL;
    }
}

/* Detaches the sink first, so that no callback uses it once it is gone. */
static int
call_clear(PyObject *op)
{
    CallObject *self = (CallObject *)op;

    detach(self);
    Py_CLEAR(self->sink);
    return 0;
}

static int
call_traverse(PyObject *op, visitproc visit, void *arg)
{
    CallObject *self = (CallObject *)op;

    Py_VISIT(Py_TYPE(op));
    Py_VISIT(self->sink);
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
    /* A Call made before a fork, started in the child. */
    if (self->ctx->sim != NULL && self->ctx->sim->model != NULL
        && cu_sim_model_usable(self->ctx->sim->model) < 0) {
        return -1;
    }
    self->ctx->started = 1;
    cu_context_begin(self->ctx);
    return 0;
}

PyDoc_STRVAR(run_doc,
"run() -> bytes\n\n"
"Make the call on this thread and block until the cluster answers,\n"
"without the GIL.  Every phase is put into the queue as a phase record;\n"
"returns the end record (see end()).");

static PyObject *
call_run(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;
    cu_context *ctx = self->ctx;

    if (begin(self) < 0) {
        return NULL;
    }
    /* The native side's own reference: if this thread never gets the GIL
     * back (interpreter shutdown), the context stays valid for callbacks. */
    cu_context_incref(ctx);
    Py_BEGIN_ALLOW_THREADS
    cu_call_native(backend_of(ctx), ctx);
    Py_END_ALLOW_THREADS
    cu_context_decref(ctx);
    return cu_record_end(ctx);
}

PyDoc_STRVAR(start_doc,
"start() -> bool\n\n"
"Make the call on a native thread of its own and return True at once.  The\n"
"phases go into the queue as with run(), followed by the end record when\n"
"the call has returned.  A Call that was detached or aborted before it\n"
"started is not made: False, and nothing is sent.  So a Python owner can\n"
"store the Call first and start it second, and a stop or an abort that\n"
"lands in between is never lost.");

static PyObject *
call_start(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;
    DWORD err;

    if (!self->ctx->started && (cu_atomic_load(&self->ctx->detached)
                                || cu_atomic_load(&self->ctx->aborted))) {
        Py_RETURN_FALSE;
    }
    if (begin(self) < 0) {
        return NULL;
    }
    err = cu_worker_start(backend_of(self->ctx), self->ctx);
    if (err != 0) {
        /* Ended without being made, so that a Job waiting for it (a
         * simulator's wait()) returns. */
        self->ctx->status = err;
        self->ctx->stage = CU_STAGE_OPEN;
        cu_context_finish(self->ctx);
        /* Nothing was sent; the Python layer turns this into the
         * cluster's ClusterUpgradeError with this code. */
        PyObject *args = Py_BuildValue("(is)", (int)err,
                                       "could not start the call's thread");
        if (args != NULL) {
            PyErr_SetObject(PyExc_OSError, args);
            Py_DECREF(args);
        }
        return NULL;
    }
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(end_doc,
"end() -> bytes | None\n\n"
"The end record once the native call has returned, else None: struct\n"
"'=BIIiiq' ('E', tag, status, stage, missing export or -1, duration_ns)\n"
"followed by the payload's sections.  duration_ns is measured natively,\n"
"from the call's start to its return.  The same record the worker puts into the queue, for\n"
"a consumer whose record could not be delivered.");

static PyObject *
call_end(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;

    if (!cu_atomic_load(&self->ctx->finished)) {
        Py_RETURN_NONE;
    }
    return cu_record_end(self->ctx);
}

PyDoc_STRVAR(abort_doc,
"abort()\n\n"
"Answer FALSE to every later callback and forward none of them: asks the\n"
"cluster to stop at its next phase.  What the cluster does then is not\n"
"documented; it may still complete.  Safe from any thread; the native\n"
"call itself goes on until the cluster returns, and its end record is\n"
"still delivered.");

static PyObject *
call_abort(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    CallObject *self = (CallObject *)op;

    cu_atomic_store(&self->ctx->aborted, 1);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(detach_doc,
"detach()\n\n"
"Stop listening: forward nothing more, not even the end record, and answer\n"
"TRUE to every later callback (FALSE after abort()).  The cluster's call\n"
"goes on undisturbed.  What dropping the Call does too.");

static PyObject *
call_detach(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    detach((CallObject *)op);
    Py_RETURN_NONE;
}

static PyObject *
call_get_aborted(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyBool_FromLong(cu_atomic_load(&self->ctx->aborted) != 0);
}

static PyObject *
call_get_detached(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyBool_FromLong(cu_atomic_load(&self->ctx->detached) != 0);
}

static PyObject *
call_get_started(PyObject *op, void *Py_UNUSED(closure))
{
    CallObject *self = (CallObject *)op;

    return PyBool_FromLong(self->ctx->started);
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

    return PyLong_FromUnsignedLongLong(
        (unsigned long)cu_atomic_load(&self->ctx->caller_thread));
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
    {"abort", call_abort, METH_NOARGS, abort_doc},
    {"detach", call_detach, METH_NOARGS, detach_doc},
    {"end", call_end, METH_NOARGS, end_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef call_getset[] = {
    {"aborted", call_get_aborted, NULL,
     "True once abort() was called: later callbacks are answered FALSE.",
     NULL},
    {"detached", call_get_detached, NULL,
     "True once nobody listens: detach() or the Call's dealloc.", NULL},
    {"started", call_get_started, NULL,
     "True once run() or start() made (or tried to make) the call.", NULL},
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
"Call(queue, cluster=None, perform=True, simulator=None, tag=0,\n"
"     measure=False, kind=KIND_UPGRADE)\n\n"
"One call: ClusterUpgradeFunctionalLevel (KIND_UPGRADE, with the cluster's\n"
"properties read before and after) or a read of the cluster and its nodes\n"
"(KIND_QUERY).  `queue` is a queue.SimpleQueue that receives every record\n"
"(bytes: see record.h); `cluster` is None for the local cluster or its\n"
"name; `simulator` is None for clusapi.dll or the simulated call\n"
"(phases, delay_ns, status or None, fail_after, open_error,\n"
"native_thread[, SimModel]): without a status the model decides; `tag` (a u32)\n"
"is carried by every record, so that calls can share a queue; `measure`\n"
"adds up how long callbacks hold the GIL (gil_held_ns).");

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
