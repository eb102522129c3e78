/* clusupgrade._clusupgrade: the module object, its state and its
 * functions.  The work is elsewhere: call.c (the Call type), trampoline.c
 * (the native callback), backend_*.c (clusapi.dll and the simulator). */
#include <Python.h>

#include "backend.h"
#include "module.h"
#include "slots.h"
#include "guard.h"

static cu_module_state *
get_state(PyObject *module)
{
    return (cu_module_state *)PyModule_GetState(module);
}

PyDoc_STRVAR(shutdown_doc,
"_shutdown()\n\n"
"Registered with atexit: waits until no callback is inside Python and\n"
"keeps every later one out, so that a cluster thread calling back while\n"
"the interpreter finalizes is answered FALSE without touching it.");

static PyObject *
module_shutdown(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    cu_guard_close();
    Py_RETURN_NONE;
}

PyDoc_STRVAR(closed_doc,
"closed() -> bool\n\nTrue once _shutdown() has run.");

static PyObject *
module_closed(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(cu_guard_closed());
}

PyDoc_STRVAR(format_message_doc,
"format_message(code) -> str | None\n\n"
"The system's text for a Win32 error code (FormatMessageW), or None where\n"
"the system has none, or the platform is not Windows.");

PyDoc_STRVAR(cluster_info_doc,
"cluster_info(cluster) -> (status, stage, info | None)\n\n"
"GetClusterInformation for `cluster` (None: the local cluster), without\n"
"the GIL.  info is (name, major, minor, build, highest, lowest, flags).");

PyDoc_STRVAR(stdin_is_terminal_doc,
"stdin_is_terminal() -> bool\n\n"
"True when standard input is a terminal a person types into (on Windows,\n"
"a console; NUL and pipes are not).");

static PyMethodDef module_methods[] = {
    {"stdin_is_terminal", cu_stdin_is_terminal, METH_NOARGS, stdin_is_terminal_doc},
    {"cluster_info", cu_cluster_info_py, METH_O, cluster_info_doc},
    {"_shutdown", module_shutdown, METH_NOARGS, shutdown_doc},
    {"closed", module_closed, METH_NOARGS, closed_doc},
    {"format_message", cu_format_message, METH_O, format_message_doc},
    {NULL, NULL, 0, NULL},
};

static int
register_shutdown(PyObject *module)
{
    PyObject *atexit, *hook, *result;

    atexit = PyImport_ImportModule("atexit");
    if (atexit == NULL) {
        return -1;
    }
    hook = PyObject_GetAttrString(module, "_shutdown");
    if (hook == NULL) {
        Py_DECREF(atexit);
        return -1;
    }
    result = PyObject_CallMethod(atexit, "register", "O", hook);
    Py_DECREF(hook);
    Py_DECREF(atexit);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

static int
load_simple_queue(cu_module_state *state)
{
    PyObject *queue = PyImport_ImportModule("queue");

    if (queue == NULL) {
        return -1;
    }
    state->simple_queue_type = PyObject_GetAttrString(queue, "SimpleQueue");
    Py_DECREF(queue);
    return state->simple_queue_type == NULL ? -1 : 0;
}

/* The type made from `spec`, also added to the module as `name`; the
 * returned reference is the module state's.  NULL with an exception set. */
static PyTypeObject *
add_type(PyObject *module, PyType_Spec *spec, const char *name)
{
    PyObject *type = PyType_FromModuleAndSpec(module, spec, NULL);

    if (type == NULL) {
        return NULL;
    }
    /* PyModule_AddObjectRef is not in the 3.11 limited API;
     * PyModule_AddObject steals a reference only when it succeeds. */
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, type) < 0) {
        Py_DECREF(type);
        Py_DECREF(type);
        return NULL;
    }
    return (PyTypeObject *)type;
}

static int
module_exec(PyObject *module)
{
    cu_module_state *state = get_state(module);

    if (load_simple_queue(state) < 0) {
        return -1;
    }
    state->call_type = add_type(module, &cu_call_spec, "Call");
    if (state->call_type == NULL) {
        return -1;
    }
    state->job_type = add_type(module, &cu_job_spec, "Job");
    if (state->job_type == NULL) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "STAGE_LOAD", CU_STAGE_LOAD) < 0
        || PyModule_AddIntConstant(module, "STAGE_OPEN", CU_STAGE_OPEN) < 0
        || PyModule_AddIntConstant(module, "STAGE_UPGRADE", CU_STAGE_UPGRADE) < 0
#ifdef _WIN32
        || PyModule_AddStringConstant(module, "CLUSAPI", "clusapi.dll") < 0
#else
        || PyModule_AddStringConstant(module, "CLUSAPI", "none") < 0
#endif
    ) {
        return -1;
    }
    return register_shutdown(module);
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    cu_module_state *state = get_state(module);

    Py_VISIT(state->call_type);
    Py_VISIT(state->job_type);
    Py_VISIT(state->simple_queue_type);
    return 0;
}

static int
module_clear(PyObject *module)
{
    cu_module_state *state = get_state(module);

    Py_CLEAR(state->call_type);
    Py_CLEAR(state->job_type);
    Py_CLEAR(state->simple_queue_type);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

CU_SLOTS_BEGIN
static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};
CU_SLOTS_END

PyDoc_STRVAR(module_doc,
"Native core of clusupgrade: the ClusterUpgradeFunctionalLevel call, its\n"
"progress trampoline, and the simulated cluster.  Use the clusupgrade\n"
"package, not this module.");

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "clusupgrade._clusupgrade",
    .m_doc = module_doc,
    .m_size = sizeof(cu_module_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__clusupgrade(void)
{
    return PyModuleDef_Init(&module_def);
}
