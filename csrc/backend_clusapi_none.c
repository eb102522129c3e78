/* The clusapi backend where there is no clusapi.dll: every call fails at
 * the load step, which the Python layer reports as
 * ClusapiUnavailableError. */
#include "backend.h"
#include "cluster_info.h"

static DWORD
none_load(void)
{
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

static DWORD
none_open(cu_context *ctx, void **cluster)
{
    (void)ctx;
    (void)cluster;
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

static DWORD
none_upgrade(void *cluster, BOOL perform,
             PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    (void)cluster;
    (void)perform;
    (void)callback;
    (void)arg;
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

static void
none_close(void *cluster)
{
    (void)cluster;
}

const cu_backend cu_clusapi_backend = {
    none_load, none_open, none_upgrade, none_close,
};

DWORD
cu_clusapi_info(const wchar_t *cluster, cu_cluster_info *out, cu_stage *stage)
{
    (void)cluster;
    (void)out;
    *stage = CU_STAGE_LOAD;
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}
