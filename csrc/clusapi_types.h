/* The part of the Windows SDK's clusapi.h that clusupgrade uses.
 *
 * mingw-w64's clusapi.h lacks the upgrade function and its phase enum and
 * does not compile for _WIN32_WINNT >= 0x0600, so the types are declared
 * here, with the SDK's names, and the functions are resolved at run time
 * (backend_clusapi_win.c).  The simulator uses the same declarations, so
 * both backends drive the trampoline through one signature. */
#ifndef CLUSUPGRADE_CLUSAPI_TYPES_H
#define CLUSUPGRADE_CLUSAPI_TYPES_H

#include "platform.h"

/* Values 1..5 are documented; a cluster may report others, and the
 * trampoline forwards any 32-bit value, so code must not switch on it. */
typedef enum _CLUSTER_UPGRADE_PHASE {
    ClusterUpgradePhaseInitialize = 1,
    ClusterUpgradePhaseValidatingUpgrade = 2,
    ClusterUpgradePhaseUpgradingComponents = 3,
    ClusterUpgradePhaseInstallingNewComponents = 4,
    ClusterUpgradePhaseUpgradeComplete = 5
} CLUSTER_UPGRADE_PHASE;

typedef BOOL (WINAPI *PCLUSTER_UPGRADE_PROGRESS_CALLBACK)(
    PVOID pvCallbackArg, CLUSTER_UPGRADE_PHASE eUpgradePhase);

/* Win32 error codes the native code produces itself. */
#define CU_ERROR_SUCCESS 0u
#define CU_ERROR_NOT_ENOUGH_MEMORY 8u
#define CU_ERROR_CALL_NOT_IMPLEMENTED 120u
#define CU_ERROR_PROC_NOT_FOUND 127u
#define CU_ERROR_CANCELLED 1223u
#define CU_ERROR_CLUSTER_UPGRADE_INCOMPLETE 5977u

#endif /* CLUSUPGRADE_CLUSAPI_TYPES_H */
