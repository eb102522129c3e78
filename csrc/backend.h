/* A backend is what stands behind the trampoline: the real clusapi.dll or
 * the simulated cluster.  Both are driven the same way, so the code that
 * the simulator tests is the code that runs against a real cluster. */
#ifndef CLUSUPGRADE_BACKEND_H
#define CLUSUPGRADE_BACKEND_H

#include <stdint.h>

#include "buf.h"
#include "clusapi_types.h"
#include "context.h"

/* Which step a status came from; the Python layer turns a failed LOAD into
 * ClusapiUnavailableError. */
typedef enum cu_stage {
    CU_STAGE_LOAD = 0,
    CU_STAGE_OPEN = 1,
    CU_STAGE_UPGRADE = 2,   /* the call itself: the upgrade, or the query */
} cu_stage;

/* The clusapi.dll exports, each resolved on its own, so that a DLL that
 * lacks one (ClusterUpgradeFunctionalLevel before Server 2016) still serves
 * the calls that do not need it.  The order is part of the interface:
 * Python's EXPORTS tuple names them by index. */
enum cu_export {
    CU_EXPORT_OPEN_CLUSTER,
    CU_EXPORT_CLOSE_CLUSTER,
    CU_EXPORT_UPGRADE,
    CU_EXPORT_INFORMATION,
    CU_EXPORT_CLUSTER_CONTROL,
    CU_EXPORT_OPEN_ENUM,
    CU_EXPORT_ENUM,
    CU_EXPORT_CLOSE_ENUM,
    CU_EXPORT_OPEN_NODE,
    CU_EXPORT_NODE_STATE,
    CU_EXPORT_NODE_CONTROL,
    CU_EXPORT_CLOSE_NODE,
    CU_EXPORT_COUNT
};

#define CU_NEEDS(export) (1u << (export))

typedef struct cu_backend {
    /* Makes usable the exports in `required` (CU_NEEDS bits) and any
     * others that are present: 0, or a Win32 code with *missing set to the
     * absent export's index (-1 when the failure is not about one). */
    DWORD (*load)(unsigned required, int *missing);
    /* Opens the cluster the context names: 0 or a Win32 error code. */
    DWORD (*open)(cu_context *ctx, void **cluster);
    DWORD (*upgrade)(void *cluster, BOOL perform,
                     PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg);
    /* Appends a section `id` with the cluster's common property list: the
     * read-only one, or the read-write one for CU_SECTION_CLUSTER_PROPS_RW.
     * Never fails the call: a failure is the section's status. */
    void (*cluster_props)(void *cluster, uint32_t id, cu_buf *out);
    /* Appends the INFO section (GetClusterInformation); returns its
     * status, which is the query's: without it nothing is known. */
    DWORD (*information)(void *cluster, cu_buf *out);
    /* Appends the NODES section, then one NODE section per node. */
    void (*nodes)(void *cluster, cu_buf *out);
    void (*close)(void *cluster);
} cu_backend;

extern const cu_backend cu_simulator_backend;
/* On platforms without clusapi.dll its load step fails with
 * ERROR_CALL_NOT_IMPLEMENTED. */
extern const cu_backend cu_clusapi_backend;

/* Runs the call `ctx` describes through `backend`: load, open, the upgrade
 * (with the level read before and, when performing, after) or the query,
 * close, the cluster closed on every path.  Sections go to ctx->payload.
 * Must be called without the GIL; the callback gets `ctx` as its argument.
 * Returns the status; *stage and *missing say where it came from. */
DWORD cu_backend_run(const cu_backend *backend, cu_context *ctx,
                     PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback,
                     cu_stage *stage, int *missing);

#endif /* CLUSUPGRADE_BACKEND_H */
