/* What the parts of the extension module share. */
#ifndef CLUSUPGRADE_MODULE_H
#define CLUSUPGRADE_MODULE_H

#include <Python.h>

#include "context.h"

typedef struct {
    PyTypeObject *call_type;
    PyTypeObject *job_type;
    PyTypeObject *sim_model_type;
    /* queue.SimpleQueue: the only sink accepted, because its put() runs no
     * Python code, which the trampoline relies on. */
    PyObject *simple_queue_type;
} cu_module_state;

/* call.c */
extern PyType_Spec cu_call_spec;
/* `obj` as a DWORD (an int from 0 to 2**32-1); -1 with a TypeError or
 * ValueError naming `what`. */
int cu_to_dword(PyObject *obj, const char *what, DWORD *out);
/* A malloc copy of the cluster name `name` (a str of 1 to 255 characters
 * without NUL) as a NUL-terminated wide string, or NULL with an exception
 * set. */
wchar_t *cu_cluster_name(PyObject *name);

/* job.c */
extern PyType_Spec cu_job_spec;
/* A new Job of `type` holding a reference to `ctx`, or NULL with an
 * exception set. */
PyObject *cu_job_new(PyTypeObject *type, cu_context *ctx);
/* The context of a Job (borrowed). */
cu_context *cu_job_context(PyObject *job);

/* sim_type.c */
extern PyType_Spec cu_sim_model_spec;
/* The model of a SimModel object (borrowed). */
cu_sim_model *cu_sim_model_of(PyObject *obj);
/* With the GIL: 0 when this process may use `model`, -1 with RuntimeError
 * set when it was forked while a call ran on it. */
int cu_sim_model_usable(cu_sim_model *model);

/* relay.c */
/* start_relay(step): a native thread that calls step() until it returns a
 * false value; relays(): how many run. */
PyObject *cu_start_relay(PyObject *module, PyObject *step);
PyObject *cu_relays(PyObject *module, PyObject *ignored);

/* console.c */
PyObject *cu_stdin_is_terminal(PyObject *module, PyObject *ignored);

/* errors.c */
PyObject *cu_format_message(PyObject *module, PyObject *arg);

#endif /* CLUSUPGRADE_MODULE_H */
