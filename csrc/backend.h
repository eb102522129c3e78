/* A backend is what stands behind the trampoline: the real clusapi.dll or
 * the simulated cluster.  Both are driven the same way, so the code that
 * the simulator tests is the code that runs against a real cluster. */
#ifndef CLUSUPGRADE_BACKEND_H
#define CLUSUPGRADE_BACKEND_H

#include "clusapi_types.h"
#include "context.h"

/* Which step a status came from; the Python layer turns a failed LOAD into
 * ClusapiUnavailableError. */
typedef enum cu_stage {
    CU_STAGE_LOAD = 0,
    CU_STAGE_OPEN = 1,
    CU_STAGE_UPGRADE = 2,
} cu_stage;

typedef struct cu_backend {
    /* Makes the backend usable: 0 or a Win32 error code. */
    DWORD (*load)(void);
    /* Opens the cluster the context names: 0 or a Win32 error code. */
    DWORD (*open)(cu_context *ctx, void **cluster);
    DWORD (*upgrade)(void *cluster, BOOL perform,
                     PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg);
    void (*close)(void *cluster);
} cu_backend;

extern const cu_backend cu_simulator_backend;
/* On platforms without clusapi.dll its load step fails with
 * ERROR_CALL_NOT_IMPLEMENTED. */
extern const cu_backend cu_clusapi_backend;

/* Runs one call through `backend`: load, open, upgrade, close, the cluster
 * closed on every path.  Must be called without the GIL; the callback gets
 * `ctx` as its argument. */
DWORD cu_backend_run(const cu_backend *backend, cu_context *ctx,
                     PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback,
                     cu_stage *stage);

#endif /* CLUSUPGRADE_BACKEND_H */
