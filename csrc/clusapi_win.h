/* What the files of the Windows backend share (Windows only):
 *   backend_clusapi_win.c  loading clusapi.dll, the cluster handle, the
 *                          upgrade and GetClusterInformation;
 *   clusapi_props.c        property lists read with ClusterControl and
 *                          ClusterNodeControl;
 *   clusapi_nodes.c        the node enumeration and each node's facts.
 *
 * mingw-w64's clusapi.h does not compile for _WIN32_WINNT >= 0x0600
 * (clusapi_types.h), so the few types and control codes used are declared
 * here with the SDK's names and values. */
#ifndef CLUSUPGRADE_CLUSAPI_WIN_H
#define CLUSUPGRADE_CLUSAPI_WIN_H

#include "backend.h"

typedef struct _HCLUSTER *HCLUSTER;
typedef struct _HNODE *HNODE;
typedef struct _HCLUSENUM *HCLUSENUM;

/* CLUSCTL_CLUSTER_CODE / CLUSCTL_NODE_CODE (CLCTL_GET_RO_COMMON_PROPERTIES,
 * CLCTL_GET_COMMON_PROPERTIES). */
#define CU_CLUSCTL_CLUSTER_GET_RO_COMMON_PROPERTIES 0x07000055u
#define CU_CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES 0x07000059u
#define CU_CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES 0x04000055u

/* ClusterControl and ClusterNodeControl have one shape: a handle to the
 * object, an optional host node, the control code, an input and an output
 * buffer.  Only the first parameter's type differs, and both are opaque
 * pointers, so one reader serves both. */
typedef DWORD (WINAPI *cu_control_fn)(void *object, HNODE host, DWORD code,
                                      LPVOID in, DWORD in_size, LPVOID out,
                                      DWORD out_size, LPDWORD returned);

/* A size or name that clusapi.dll cannot give in one call is asked again
 * with a larger buffer; it may change between calls (a property changes, a
 * node joins), so a few rounds are allowed, and no more: a server that asks
 * for more every time is answered with the status it keeps giving. */
#define CU_CLUSAPI_ROUNDS 4

/* GetProcAddress returns FARPROC; a generic function pointer keeps the
 * cast to the real signature free of warnings. */
typedef void (*cu_any_fn)(void);

/* The export `index` (enum cu_export) of the loaded clusapi.dll, or NULL
 * when it lacks it.  Meaningful only after a successful load. */
cu_any_fn cu_clusapi_export(int index);
#define CU_API(type, index) ((type)cu_clusapi_export(index))

/* The status for a clusapi.dll function that returned NULL: GetLastError,
 * or ERROR_INVALID_HANDLE when it set none (a NULL handle must never look
 * like success). */
DWORD cu_clusapi_failure(void);

/* Appends to `into` the property list that `control` returns for `code` on
 * `object`, exactly as many bytes as it says it returned, growing the
 * buffer on ERROR_MORE_DATA.  Returns 0, or the status, with nothing
 * appended: ERROR_MORE_DATA when the list stayed larger than the buffer
 * or larger than any property list has a reason to be, ERROR_INVALID_DATA
 * when the control claims more bytes than the buffer holds. */
DWORD cu_clusapi_control_read(cu_control_fn control, void *object,
                              DWORD code, cu_buf *into);

/* The backend's cluster_props and nodes operations (backend.h). */
void cu_clusapi_cluster_props(void *cluster, uint32_t id, cu_buf *out);
void cu_clusapi_nodes(void *cluster, cu_buf *out);

#endif /* CLUSUPGRADE_CLUSAPI_WIN_H */
