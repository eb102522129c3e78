/* What GetClusterInformation tells about a cluster (cluster_info.c for
 * the Python side; backend_clusapi_*.c for the native call). */
#ifndef CLUSUPGRADE_CLUSTER_INFO_H
#define CLUSUPGRADE_CLUSTER_INFO_H

#include <wchar.h>

#include "backend.h"

typedef struct cu_cluster_info {
    wchar_t *name;          /* malloc memory, owned by the caller */
    unsigned short major, minor, build;   /* OS of the node answering */
    DWORD highest, lowest;  /* (major << 16) | upgrade_version */
    DWORD flags;            /* CLUSTER_VERSION_FLAG_MIXED_MODE = 1 */
} cu_cluster_info;

/* Opens `cluster` (NULL: the local one) and reads its information, without
 * the GIL.  0 or a Win32 error code; *stage says which step it came from.
 * On success out->name must be freed with free(). */
DWORD cu_clusapi_info(const wchar_t *cluster, cu_cluster_info *out,
                      cu_stage *stage);

#endif /* CLUSUPGRADE_CLUSTER_INFO_H */
