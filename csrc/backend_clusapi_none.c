/* The clusapi backend where there is no clusapi.dll: every call fails at
 * the load step, which the Python layer reports as
 * ClusapiUnavailableError. */
#include "backend.h"

static DWORD
none_load(unsigned required, int *missing)
{
    (void)required;
    *missing = -1;
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

/* Never reached: the load step fails first.  Each still behaves as a
 * server without clusapi would. */
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
none_cluster_props(void *cluster, uint32_t id, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, id, CU_ERROR_CALL_NOT_IMPLEMENTED);
}

static DWORD
none_information(void *cluster, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, CU_SECTION_INFO, CU_ERROR_CALL_NOT_IMPLEMENTED);
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

static void
none_nodes(void *cluster, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, CU_SECTION_NODES, CU_ERROR_CALL_NOT_IMPLEMENTED);
}

static void
none_close(void *cluster)
{
    (void)cluster;
}

const cu_backend cu_clusapi_backend = {
    none_load, none_open, none_upgrade, none_cluster_props, none_information,
    none_nodes, none_close,
};
