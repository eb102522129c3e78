/* clusupgrade._clusupgrade: the module object, its state and its
 * functions.  The work is elsewhere: call.c (the Call type), trampoline.c
 * (the native callback), backend_*.c (clusapi.dll and the simulator).
 *
 * Only the main interpreter may import it.  Its native threads call back
 * through PyGILState_Ensure(), which always enters the main interpreter,
 * and the shutdown guard and the fork handlers are process-wide: in a
 * subinterpreter, records would land in another interpreter's objects,
 * and the subinterpreter's end would shut clusupgrade down for the whole
 * process. */
#include <Python.h>

#include "backend.h"
#include "fork.h"
#include "guard.h"
#include "module.h"
#include "slots.h"

/* Py_mod_multiple_interpreters and its "not supported" value, part of the
 * stable ABI from 3.12 on; the 3.11 limited API this module is built
 * against does not define them, and 3.11 rejects the slot. */
#define CU_MOD_MULTIPLE_INTERPRETERS 3
#define CU_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED ((void *)0)
#define CU_PY_3_12 0x030C0000UL

static cu_module_state *
get_state(PyObject *module)
{
    return (cu_module_state *)PyModule_GetState(module);
}

PyDoc_STRVAR(shutdown_doc,
"_shutdown()\n\n"
"Registered with atexit: waits until no callback is inside Python and\n"
"keeps every later one out, so that a cluster thread calling back while\n"
"the interpreter finalizes is answered TRUE without touching it (nobody\n"
"listens any more, which is no reason to disturb the cluster).");

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

PyDoc_STRVAR(stdin_is_terminal_doc,
"stdin_is_terminal() -> bool\n\n"
"True when standard input is a terminal a person types into (on Windows,\n"
"a console; NUL and pipes are not).");

PyDoc_STRVAR(fork_generation_doc,
"fork_generation() -> int\n\n"
"0 in a process that fork() did not make, one more in each forked child\n"
"than in its parent.  A stream records it when its call starts: another\n"
"value means that the stream was inherited through fork(), and that the\n"
"thread serving its call stayed in the parent.");

static PyObject *
module_fork_generation(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromLong(cu_fork_generation());
}

PyDoc_STRVAR(start_relay_doc,
"start_relay(step)\n\n"
"Start a native thread that calls step() with the GIL, again and again,\n"
"until it returns a false value or raises (reported as unraisable), or\n"
"the interpreter begins to exit.  step() must return within a fraction\n"
"of a second: shutdown waits for it.");

PyDoc_STRVAR(relays_doc,
"relays() -> int\n\n"
"How many relays started in this process have not ended.");

static PyMethodDef module_methods[] = {
    {"stdin_is_terminal", cu_stdin_is_terminal, METH_NOARGS, stdin_is_terminal_doc},
    {"_shutdown", module_shutdown, METH_NOARGS, shutdown_doc},
    {"closed", module_closed, METH_NOARGS, closed_doc},
    {"format_message", cu_format_message, METH_O, format_message_doc},
    {"fork_generation", module_fork_generation, METH_NOARGS, fork_generation_doc},
    {"start_relay", cu_start_relay, METH_O, start_relay_doc},
    {"relays", cu_relays, METH_NOARGS, relays_doc},
    {NULL, NULL, 0, NULL},
};

/* 0 in the main interpreter, -1 with ImportError in any other.  The main
 * interpreter's id is 0; the 3.11 limited API has no
 * PyInterpreterState_Main(). */
static int
refuse_subinterpreter(void)
{
    int64_t id = PyInterpreterState_GetID(PyInterpreterState_Get());
    PyObject *message, *name;

    if (id < 0) {
        return -1;
    }
    if (id == 0) {
        return 0;
    }
    message = PyUnicode_FromString(
        "clusupgrade._clusupgrade can only be imported in the main "
        "interpreter: its native threads call back into the main "
        "interpreter, and its shutdown guard is process-wide");
    name = PyUnicode_FromString("clusupgrade._clusupgrade");
    if (message != NULL && name != NULL) {
        PyErr_SetImportError(message, name, NULL);
    }
    Py_XDECREF(message);
    Py_XDECREF(name);
    return -1;
}

static int
install_fork_handlers(void)
{
    DWORD err = cu_fork_init();

    if (err != 0) {
        PyErr_Format(PyExc_OSError,
                     "could not install the fork handlers (error %lu)",
                     (unsigned long)err);
        return -1;
    }
    return 0;
}

/* The hook atexit keeps: a function bound to no module, because the guard
 * is process-wide.  A hook bound to the module (its _shutdown) would keep
 * every module object ever made, and its three heap types, alive until
 * exit, one more each time the module is imported anew (del sys.modules,
 * a second loader). */
static PyMethodDef shutdown_hook_def = {
    "_clusupgrade_shutdown", module_shutdown, METH_NOARGS, shutdown_doc,
};

/* Set, with the GIL, once the hook is registered: once per process. */
static int shutdown_registered;

static int
register_shutdown(void)
{
    PyObject *atexit, *hook, *result;

    if (shutdown_registered) {
        return 0;
    }
    atexit = PyImport_ImportModule("atexit");
    if (atexit == NULL) {
        return -1;
    }
    hook = PyCFunction_New(&shutdown_hook_def, NULL);
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
    shutdown_registered = 1;
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

    if (refuse_subinterpreter() < 0 || install_fork_handlers() < 0) {
        return -1;
    }
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
    state->sim_model_type = add_type(module, &cu_sim_model_spec, "SimModel");
    if (state->sim_model_type == NULL) {
        return -1;
    }
    if (PyModule_AddIntConstant(module, "STAGE_LOAD", CU_STAGE_LOAD) < 0
        || PyModule_AddIntConstant(module, "STAGE_OPEN", CU_STAGE_OPEN) < 0
        || PyModule_AddIntConstant(module, "STAGE_UPGRADE", CU_STAGE_UPGRADE) < 0
        || PyModule_AddIntConstant(module, "KIND_UPGRADE", CU_KIND_UPGRADE) < 0
        || PyModule_AddIntConstant(module, "KIND_QUERY", CU_KIND_QUERY) < 0
#ifdef _WIN32
        || PyModule_AddStringConstant(module, "CLUSAPI", "clusapi.dll") < 0
#else
        || PyModule_AddStringConstant(module, "CLUSAPI", "none") < 0
#endif
    ) {
        return -1;
    }
    return register_shutdown();
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    cu_module_state *state = get_state(module);

    Py_VISIT(state->call_type);
    Py_VISIT(state->job_type);
    Py_VISIT(state->sim_model_type);
    Py_VISIT(state->simple_queue_type);
    return 0;
}

static int
module_clear(PyObject *module)
{
    cu_module_state *state = get_state(module);

    Py_CLEAR(state->call_type);
    Py_CLEAR(state->job_type);
    Py_CLEAR(state->sim_model_type);
    Py_CLEAR(state->simple_queue_type);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

/* One wheel serves 3.11 and later, so the slots are chosen at run time
 * (PyInit__clusupgrade). */
CU_SLOTS_BEGIN
static PyModuleDef_Slot slots_3_11[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

/* From 3.12 on, the import system refuses the module itself in an isolated
 * subinterpreter, before it runs; module_exec() refuses the others. */
static PyModuleDef_Slot slots_3_12[] = {
    {Py_mod_exec, module_exec},
    {CU_MOD_MULTIPLE_INTERPRETERS, CU_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
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
    .m_slots = slots_3_11,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__clusupgrade(void)
{
    /* Every import stores the same value, as PyModuleDef_Init() does. */
    module_def.m_slots = Py_Version >= CU_PY_3_12 ? slots_3_12 : slots_3_11;
    return PyModuleDef_Init(&module_def);
}
