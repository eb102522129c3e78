/* _clusupgrade.cluster_info(): the Python side of GetClusterInformation. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_info.h"
#include "module.h"

/* A malloc copy of the optional cluster name, or NULL (the local cluster);
 * -1 with an exception set when the argument is wrong. */
static int
optional_name(PyObject *arg, wchar_t **out)
{
    Py_ssize_t len;
    wchar_t *py_copy;

    *out = NULL;
    if (arg == Py_None) {
        return 0;
    }
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "cluster must be None or a str");
        return -1;
    }
    py_copy = PyUnicode_AsWideCharString(arg, &len);
    if (py_copy == NULL) {
        return -1;
    }
    if (len == 0 || (Py_ssize_t)wcslen(py_copy) != len) {
        PyMem_Free(py_copy);
        PyErr_SetString(PyExc_ValueError,
                        "cluster name must be non-empty and without NUL");
        return -1;
    }
    *out = malloc(((size_t)len + 1) * sizeof(wchar_t));
    if (*out == NULL) {
        PyMem_Free(py_copy);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(*out, py_copy, ((size_t)len + 1) * sizeof(wchar_t));
    PyMem_Free(py_copy);
    return 0;
}

PyObject *
cu_cluster_info_py(PyObject *Py_UNUSED(module), PyObject *arg)
{
    wchar_t *cluster;
    cu_cluster_info info = {0};
    cu_stage stage = CU_STAGE_LOAD;
    DWORD status;
    PyObject *result;

    if (optional_name(arg, &cluster) < 0) {
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    status = cu_clusapi_info(cluster, &info, &stage);
    Py_END_ALLOW_THREADS
    free(cluster);
    if (status != 0) {
        return Py_BuildValue("(kiO)", (unsigned long)status, (int)stage, Py_None);
    }
    result = Py_BuildValue("(ki(u#HHHkkk))", 0UL, (int)stage, info.name,
                           (Py_ssize_t)wcslen(info.name), info.major,
                           info.minor, info.build, (unsigned long)info.highest,
                           (unsigned long)info.lowest, (unsigned long)info.flags);
    free(info.name);
    return result;
}
