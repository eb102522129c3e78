/* _clusupgrade.cluster_info(): the Python side of GetClusterInformation. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <wchar.h>

#include "cluster_info.h"
#include "module.h"

PyObject *
cu_cluster_info_py(PyObject *Py_UNUSED(module), PyObject *arg)
{
    wchar_t *cluster;
    cu_cluster_info info = {0};
    cu_stage stage = CU_STAGE_LOAD;
    DWORD status;
    PyObject *result;

    cluster = NULL;
    if (arg != Py_None && (cluster = cu_cluster_name(arg)) == NULL) {
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
