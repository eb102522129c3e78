/* The one sequence every backend goes through (backend.h). */
#include "backend.h"

DWORD
cu_backend_run(const cu_backend *backend, cu_context *ctx,
               PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, cu_stage *stage)
{
    void *cluster = NULL;
    DWORD status;

    *stage = CU_STAGE_LOAD;
    status = backend->load();
    if (status != 0) {
        return status;
    }
    *stage = CU_STAGE_OPEN;
    status = backend->open(ctx, &cluster);
    if (status != 0) {
        return status;
    }
    *stage = CU_STAGE_UPGRADE;
    status = backend->upgrade(cluster, ctx->perform, callback, (PVOID)ctx);
    backend->close(cluster);
    return status;
}
