/* The one sequence every backend goes through (backend.h). */
#include "backend.h"

/* What each kind of call cannot do without.  Reading properties and nodes
 * is optional: a server or DLL without them leaves those sections absent,
 * and the Python layer says "unknown". */
static const unsigned upgrade_needs = CU_NEEDS(CU_EXPORT_OPEN_CLUSTER)
    | CU_NEEDS(CU_EXPORT_CLOSE_CLUSTER) | CU_NEEDS(CU_EXPORT_UPGRADE);
static const unsigned query_needs = CU_NEEDS(CU_EXPORT_OPEN_CLUSTER)
    | CU_NEEDS(CU_EXPORT_CLOSE_CLUSTER) | CU_NEEDS(CU_EXPORT_INFORMATION);

static DWORD
upgrade(const cu_backend *backend, void *cluster, cu_context *ctx,
        PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback)
{
    DWORD status;

    /* The level before and after come from the cluster itself: a status
     * of 0 alone does not tell "raised" from "nothing to raise".  The
     * simulator has made a second upgrade wait for the one under way
     * already (in its open), so its level before is the one the first
     * left.  A real server waits inside ClusterUpgradeFunctionalLevel
     * (MS-CMRP 3.1.4.3.7.18), after this read, and nothing orders the
     * read after that wait: a raise made while another runs may report
     * the other's raise as its own (docs/sources.md says how clusupgrade
     * words it). */
    backend->cluster_props(cluster, CU_SECTION_CLUSTER_PROPS, &ctx->payload);
    status = backend->upgrade(cluster, ctx->perform, callback, (PVOID)ctx);
    if (ctx->perform) {
        backend->cluster_props(cluster, CU_SECTION_CLUSTER_PROPS_AFTER,
                               &ctx->payload);
    }
    return status;
}

static DWORD
query(const cu_backend *backend, void *cluster, cu_context *ctx)
{
    DWORD status = backend->information(cluster, &ctx->payload);

    if (status != 0) {
        return status;
    }
    backend->cluster_props(cluster, CU_SECTION_CLUSTER_PROPS, &ctx->payload);
    backend->cluster_props(cluster, CU_SECTION_CLUSTER_PROPS_RW,
                           &ctx->payload);
    backend->nodes(cluster, &ctx->payload);
    return 0;
}

DWORD
cu_backend_run(const cu_backend *backend, cu_context *ctx,
               PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, cu_stage *stage,
               int *missing)
{
    void *cluster = NULL;
    DWORD status;

    *stage = CU_STAGE_LOAD;
    *missing = -1;
    status = backend->load(ctx->kind == CU_KIND_QUERY ? query_needs
                                                      : upgrade_needs,
                           missing);
    if (status != 0) {
        return status;
    }
    *stage = CU_STAGE_OPEN;
    status = backend->open(ctx, &cluster);
    if (status != 0) {
        return status;
    }
    *stage = CU_STAGE_UPGRADE;
    status = ctx->kind == CU_KIND_QUERY ? query(backend, cluster, ctx)
                                        : upgrade(backend, cluster, ctx,
                                                  callback);
    backend->close(cluster);
    return status;
}
