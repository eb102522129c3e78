/* The real backend: clusapi.dll, loaded on first use.
 *
 * The DLL is loaded from system32 only (LOAD_LIBRARY_SEARCH_SYSTEM32), so a
 * clusapi.dll planted in the current directory or on PATH is never used,
 * and its functions are resolved by name, so a machine without the export
 * (Windows before Server 2016, a client without RSAT-Clustering) gets an
 * error instead of a module that fails to import.  Property lists and nodes
 * are read in clusapi_props.c and clusapi_nodes.c (clusapi_win.h). */
#include "clusapi_win.h"

#include <stdlib.h>
#include <string.h>

typedef HCLUSTER (WINAPI *open_cluster_fn)(LPCWSTR name);
typedef BOOL (WINAPI *close_cluster_fn)(HCLUSTER cluster);
typedef DWORD (WINAPI *upgrade_fn)(HCLUSTER cluster, BOOL perform,
                                   PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback,
                                   PVOID arg);

/* The SDK's CLUSTERVERSIONINFO. */
typedef struct {
    DWORD dwVersionInfoSize;
    WORD MajorVersion;
    WORD MinorVersion;
    WORD BuildNumber;
    WCHAR szVendorId[64];
    WCHAR szCSDVersion[64];
    DWORD dwClusterHighestVersion;
    DWORD dwClusterLowestVersion;
    DWORD dwFlags;
    DWORD dwReserved;
} cu_versioninfo;

typedef DWORD (WINAPI *information_fn)(HCLUSTER cluster, LPWSTR name,
                                       LPDWORD name_chars,
                                       cu_versioninfo *info);

/* Export names, in the order of enum cu_export (backend.h). */
static const char *const export_names[CU_EXPORT_COUNT] = {
    "OpenCluster", "CloseCluster", "ClusterUpgradeFunctionalLevel",
    "GetClusterInformation", "ClusterControl", "ClusterOpenEnum",
    "ClusterEnum", "ClusterCloseEnum", "OpenClusterNode",
    "GetClusterNodeState", "ClusterNodeControl", "CloseClusterNode",
};

/* Wine's builtin clusapi.dll is a stand-in, not a client of any cluster:
 * OpenCluster hands out a dummy handle, GetClusterInformation answers with
 * an empty name, the node enumeration is always empty, and ClusterControl
 * and the node functions are export stubs that abort the process when they
 * are called.  From it only these are used; it counts as a DLL without the
 * others, so a query under Wine says "unknown" where it would otherwise
 * crash, or report a cluster without nodes. */
static const unsigned wine_builtin_usable = CU_NEEDS(CU_EXPORT_OPEN_CLUSTER)
    | CU_NEEDS(CU_EXPORT_CLOSE_CLUSTER) | CU_NEEDS(CU_EXPORT_INFORMATION);

static struct {
    SRWLOCK lock;
    HMODULE dll;
    cu_any_fn fn[CU_EXPORT_COUNT];  /* NULL: the DLL lacks it */
} api = {SRWLOCK_INIT, NULL, {NULL}};

#define API(type, index) ((type)api.fn[index])

cu_any_fn
cu_clusapi_export(int index)
{
    return index >= 0 && index < CU_EXPORT_COUNT ? api.fn[index] : NULL;
}

DWORD
cu_clusapi_failure(void)
{
    DWORD err = GetLastError();

    return err != 0 ? err : ERROR_INVALID_HANDLE;
}

/* Every Wine builtin DLL carries this mark right after its 64-byte DOS
 * header, where Windows DLLs have the DOS stub program; Wine's loader reads
 * it to tell its builtins from native DLLs. */
static int
is_wine_builtin(HMODULE dll)
{
    static const char mark[] = "Wine builtin DLL";
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)dll;

    /* e_lfanew past the mark: those bytes are part of the mapped headers. */
    if (dos->e_lfanew < (LONG)(sizeof(*dos) + sizeof(mark) - 1)) {
        return 0;
    }
    return memcmp((const char *)dll + sizeof(*dos), mark,
                  sizeof(mark) - 1) == 0;
}

static DWORD
resolve(void)
{
    HMODULE dll = LoadLibraryExW(L"clusapi.dll", NULL,
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
    unsigned usable = ~0u;
    int i;

    if (dll == NULL) {
        return GetLastError();
    }
    if (is_wine_builtin(dll)) {
        usable = wine_builtin_usable;
    }
    /* Each export on its own: a DLL without the upgrade export (before
     * Server 2016, some RSAT installs) still reads the cluster. */
    for (i = 0; i < CU_EXPORT_COUNT; i++) {
        api.fn[i] = (usable & CU_NEEDS(i))
            ? (cu_any_fn)GetProcAddress(dll, export_names[i]) : NULL;
    }
    /* Kept for the life of the process: the functions are cached. */
    api.dll = dll;
    return 0;
}

static DWORD
clusapi_load(unsigned required, int *missing)
{
    DWORD status = 0;
    int i;

    *missing = -1;
    /* A failure to load is not cached: the administrator may install the
     * clustering tools while a long-running process keeps going. */
    AcquireSRWLockExclusive(&api.lock);
    if (api.dll == NULL) {
        status = resolve();
    }
    ReleaseSRWLockExclusive(&api.lock);
    if (status != 0) {
        return status;
    }
    for (i = 0; i < CU_EXPORT_COUNT; i++) {
        if ((required & CU_NEEDS(i)) && api.fn[i] == NULL) {
            *missing = i;
            return CU_ERROR_PROC_NOT_FOUND;
        }
    }
    return 0;
}

static DWORD
clusapi_open(cu_context *ctx, void **cluster)
{
    HCLUSTER handle = API(open_cluster_fn, CU_EXPORT_OPEN_CLUSTER)(ctx->cluster);

    if (handle == NULL) {
        return cu_clusapi_failure();
    }
    *cluster = handle;
    return 0;
}

static DWORD
clusapi_upgrade(void *cluster, BOOL perform,
                PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    return API(upgrade_fn, CU_EXPORT_UPGRADE)((HCLUSTER)cluster, perform,
                                              callback, arg);
}

static void
clusapi_close(void *cluster)
{
    (void)API(close_cluster_fn, CU_EXPORT_CLOSE_CLUSTER)((HCLUSTER)cluster);
}

/* Appends the INFO section's data: the version fields, then the name. */
static void
put_information(cu_buf *out, const cu_versioninfo *info, const wchar_t *name)
{
    cu_buf_u16(out, info->MajorVersion);
    cu_buf_u16(out, info->MinorVersion);
    cu_buf_u16(out, info->BuildNumber);
    cu_buf_u16(out, 0);
    cu_buf_u32(out, info->dwClusterHighestVersion);
    cu_buf_u32(out, info->dwClusterLowestVersion);
    cu_buf_u32(out, info->dwFlags);
    cu_buf_append(out, name, wcslen(name) * sizeof(wchar_t));
}

/* A cluster name is a NetBIOS (15 characters) or DNS name (255): a server
 * that asks for a buffer this long is refused, not given the memory (or,
 * at 0xFFFFFFFF, a buffer that wraps around to nothing). */
#define MAX_CLUSTER_NAME_CHARS 4096u

/* GetClusterInformation, growing the name buffer on ERROR_MORE_DATA, into
 * the INFO section. */
static DWORD
clusapi_information(void *cluster, cu_buf *out)
{
    information_fn information = API(information_fn, CU_EXPORT_INFORMATION);
    DWORD chars = 64;
    DWORD status = ERROR_MORE_DATA;
    size_t head = cu_buf_section_begin(out, CU_SECTION_INFO, 0);
    int attempt;

    for (attempt = 0; attempt < CU_CLUSAPI_ROUNDS && status == ERROR_MORE_DATA
                      && chars < MAX_CLUSTER_NAME_CHARS; attempt++) {
        cu_versioninfo info;
        DWORD capacity = chars + 1;
        wchar_t *name = calloc(capacity, sizeof(wchar_t));

        if (name == NULL) {
            status = CU_ERROR_NOT_ENOUGH_MEMORY;
            break;
        }
        memset(&info, 0, sizeof(info));
        info.dwVersionInfoSize = sizeof(info);
        chars = capacity;
        /* On ERROR_MORE_DATA `chars` holds the length without the NUL. */
        status = information((HCLUSTER)cluster, name, &chars, &info);
        if (status == 0) {
            name[capacity - 1] = L'\0';
            put_information(out, &info, name);
        }
        free(name);
    }
    /* On failure the section says why, and its data stays empty. */
    cu_buf_section_status(out, head, status);
    cu_buf_section_end(out, head);
    return status;
}

const cu_backend cu_clusapi_backend = {
    clusapi_load, clusapi_open, clusapi_upgrade, cu_clusapi_cluster_props,
    clusapi_information, cu_clusapi_nodes, clusapi_close,
};
