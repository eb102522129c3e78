/* clusupgrade._clusupgrade.SimModel: the Python object that owns a
 * simulated cluster's model (sim_model.h).
 *
 * The Python layer (simulator.py) validates what users pass and builds
 * this from plain values; the checks here only keep the native side safe
 * (types, ranges, lengths).  The object owns one reference to the model;
 * each call made to the simulator takes its own, so the model outlives
 * this object while a call still runs, and is freed on whichever thread
 * drops the last reference. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "module.h"
#include "sim_model.h"
#include "slots.h"

/* Node and cluster names: at most 255 UTF-16 code units. */
#define MAX_NAME_BYTES (255 * 2)

typedef struct {
    PyObject_HEAD
    cu_sim_model *model;
} SimModelObject;

cu_sim_model *
cu_sim_model_of(PyObject *obj)
{
    return ((SimModelObject *)obj)->model;
}

int
cu_sim_model_usable(cu_sim_model *model)
{
    if (cu_sim_model_adopt(model) == 0) {
        return 0;
    }
    PyErr_SetString(PyExc_RuntimeError,
                    "this Simulator was running a call when the process "
                    "forked; that call exists only in the parent process: "
                    "make a new Simulator in the child");
    return -1;
}

/* A DWORD from `obj` that is at most `max`; -1 with an exception set. */
static int
bounded(PyObject *obj, const char *what, DWORD max, uint32_t *out)
{
    DWORD value;

    if (cu_to_dword(obj, what, &value) < 0) {
        return -1;
    }
    if (value > max) {
        PyErr_Format(PyExc_ValueError, "%s must be from 0 to %lu", what,
                     (unsigned long)max);
        return -1;
    }
    *out = value;
    return 0;
}

/* A name as UTF-16 code units from bytes in UTF-16-LE; -1 with an
 * exception set. */
static int
utf16_name(const char *bytes, Py_ssize_t n, uint16_t **units, size_t *count)
{
    if (n < 2 || n > MAX_NAME_BYTES || n % 2 != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "a simulated name must be 1 to 255 UTF-16 code units");
        return -1;
    }
    if (cu_sim_utf16_copy(bytes, (size_t)n, units, count) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* One node from (name, state, major, minor, build, highest, lowest). */
static int
node_from(PyObject *spec, cu_sim_node *node)
{
    const char *name;
    Py_ssize_t name_len;
    PyObject *state, *major, *minor, *build, *highest, *lowest;
    long raw_state;

    if (!PyTuple_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "every node must be a tuple");
        return -1;
    }
    if (!PyArg_ParseTuple(spec, "y#OOOOOO;a node is (name, state, major, "
                          "minor, build, highest, lowest)", &name, &name_len,
                          &state, &major, &minor, &build, &highest, &lowest)) {
        return -1;
    }
    if (!PyLong_Check(state)) {
        PyErr_SetString(PyExc_TypeError, "a node's state must be an int");
        return -1;
    }
    /* CLUSTER_NODE_STATE is an int: -1 (unknown) is a value like others. */
    raw_state = PyLong_AsLong(state);
    if (raw_state == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (raw_state < INT32_MIN || raw_state > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError,
                        "a node's state must fit a 32-bit signed int");
        return -1;
    }
    if (bounded(major, "a node's major version", 0xFFFF, &node->major) < 0
        || bounded(minor, "a node's minor version", 0xFFFF, &node->minor) < 0
        || bounded(build, "a node's build", 0xFFFF, &node->build) < 0
        || bounded(highest, "a node's highest version", 0xFFFFFFFF,
                   &node->highest) < 0
        || bounded(lowest, "a node's lowest version", 0xFFFFFFFF,
                   &node->lowest) < 0) {
        return -1;
    }
    node->state = (int32_t)raw_state;
    return utf16_name(name, name_len, &node->name, &node->name_units);
}

static int
nodes_from(PyObject *nodes, cu_sim_model *model)
{
    Py_ssize_t i;

    for (i = 0; i < PyTuple_Size(nodes); i++) {
        if (node_from(PyTuple_GetItem(nodes, i), &model->nodes[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
sim_model_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"name", "level", "upgrade_version",
                             "in_progress", "nodes", "leaves_in_progress",
                             NULL};
    const char *name;
    Py_ssize_t name_len, n_nodes;
    PyObject *level, *upgrade_version, *nodes;
    int in_progress, leaves_in_progress = 0;
    cu_sim_model *model;
    SimModelObject *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y#OOpO!|p:SimModel",
                                     kwlist, &name, &name_len, &level,
                                     &upgrade_version, &in_progress,
                                     &PyTuple_Type, &nodes,
                                     &leaves_in_progress)) {
        return NULL;
    }
    n_nodes = PyTuple_Size(nodes);
    if (n_nodes < 1 || n_nodes > CU_SIM_MAX_NODES) {
        PyErr_Format(PyExc_ValueError, "a cluster has 1 to %d nodes",
                     CU_SIM_MAX_NODES);
        return NULL;
    }
    model = cu_sim_model_new((size_t)n_nodes);
    if (model == NULL) {
        return PyErr_NoMemory();
    }
    if (bounded(level, "level", 0xFFFF, &model->level) < 0
        || bounded(upgrade_version, "upgrade_version", 0xFFFFFFFF,
                   &model->upgrade_version) < 0
        || utf16_name(name, name_len, &model->name, &model->name_units) < 0
        || nodes_from(nodes, model) < 0) {
        goto error;
    }
    model->in_progress = in_progress;
    model->leaves_in_progress = leaves_in_progress;
    self = (SimModelObject *)PyType_GenericAlloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->model = model;
    return (PyObject *)self;

error:
    cu_sim_model_decref(model);
    return NULL;
}

static void
sim_model_dealloc(PyObject *op)
{
    SimModelObject *self = (SimModelObject *)op;
    PyTypeObject *type = Py_TYPE(op);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);

    cu_sim_model_decref(self->model);
    tp_free(op);
    Py_DECREF(type);
}

PyDoc_STRVAR(check_doc,
"check()\n\n"
"Raise RuntimeError when this process was forked while a call ran on the\n"
"model: that call, and so its end, exists only in the parent.");

static PyObject *
sim_model_check(PyObject *op, PyObject *Py_UNUSED(ignored))
{
    SimModelObject *self = (SimModelObject *)op;

    if (cu_sim_model_usable(self->model) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(live_doc,
"live() -> int\n\n"
"How many models are alive in this process, those that only running\n"
"calls still hold included.");

static PyObject *
sim_model_live(PyObject *Py_UNUSED(cls), PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(cu_sim_model_live());
}

static PyObject *
sim_model_get_running(PyObject *op, void *Py_UNUSED(closure))
{
    SimModelObject *self = (SimModelObject *)op;

    return PyLong_FromLong(cu_atomic_load(&self->model->running));
}

static PyObject *
sim_model_get_refs(PyObject *op, void *Py_UNUSED(closure))
{
    SimModelObject *self = (SimModelObject *)op;

    return PyLong_FromLong(cu_atomic_load(&self->model->refs));
}

static PyMethodDef sim_model_methods[] = {
    {"check", sim_model_check, METH_NOARGS, check_doc},
    {"live", sim_model_live, METH_NOARGS | METH_STATIC, live_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sim_model_getset[] = {
    {"running", sim_model_get_running, NULL,
     "Calls begun on the model and not yet finished.", NULL},
    {"refs", sim_model_get_refs, NULL,
     "References to the native model: this object's, and one per call "
     "that still holds it.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(sim_model_doc,
"SimModel(name, level, upgrade_version, in_progress, nodes,\n"
"         leaves_in_progress=False)\n\n"
"A simulated cluster's state, decided on natively by the calls made to\n"
"it.  `name` is UTF-16-LE bytes; `nodes` a tuple of 1 to 64\n"
"(name, state, major, minor, build, highest, lowest): the name in\n"
"UTF-16-LE bytes, a CLUSTER_NODE_STATE, the Windows version, and the\n"
"NodeHighestVersion and NodeLowestVersion DWORDs.  Use\n"
"clusupgrade.Simulator, which validates its arguments.");

CU_SLOTS_BEGIN
static PyType_Slot sim_model_slots[] = {
    {Py_tp_new, sim_model_new},
    {Py_tp_dealloc, sim_model_dealloc},
    {Py_tp_methods, sim_model_methods},
    {Py_tp_getset, sim_model_getset},
    {Py_tp_doc, (void *)sim_model_doc},
    {0, NULL},
};
CU_SLOTS_END

/* Not subclassable: call.c recognises the exact type. */
PyType_Spec cu_sim_model_spec = {
    .name = "clusupgrade._clusupgrade.SimModel",
    .basicsize = sizeof(SimModelObject),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = sim_model_slots,
};
