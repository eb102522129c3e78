/* The real backend: clusapi.dll, loaded on first use.
 *
 * The DLL is loaded from system32 only (LOAD_LIBRARY_SEARCH_SYSTEM32), so a
 * clusapi.dll planted in the current directory or on PATH is never used,
 * and its functions are resolved by name, so a machine without the export
 * (Windows before Server 2016, a client without RSAT-Clustering) gets an
 * error instead of a module that fails to import. */
#include "backend.h"
#include "cluster_info.h"

#include <stdlib.h>
#include <string.h>

typedef struct _HCLUSTER *HCLUSTER;
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

static struct {
    SRWLOCK lock;
    int loaded;
    open_cluster_fn open_cluster;
    close_cluster_fn close_cluster;
    upgrade_fn upgrade;
    information_fn information;
} api = {SRWLOCK_INIT, 0, NULL, NULL, NULL, NULL};

/* GetProcAddress returns FARPROC; going through a generic function pointer
 * keeps the cast to the real signature free of warnings. */
typedef void (*any_fn)(void);

static DWORD
resolve(void)
{
    HMODULE dll = LoadLibraryExW(L"clusapi.dll", NULL,
                                 LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (dll == NULL) {
        return GetLastError();
    }
    api.open_cluster = (open_cluster_fn)(any_fn)GetProcAddress(dll, "OpenCluster");
    api.close_cluster = (close_cluster_fn)(any_fn)GetProcAddress(dll, "CloseCluster");
    api.upgrade = (upgrade_fn)(any_fn)GetProcAddress(
        dll, "ClusterUpgradeFunctionalLevel");
    api.information = (information_fn)(any_fn)GetProcAddress(
        dll, "GetClusterInformation");
    if (api.open_cluster == NULL || api.close_cluster == NULL
        || api.upgrade == NULL || api.information == NULL) {
        FreeLibrary(dll);
        return CU_ERROR_PROC_NOT_FOUND;
    }
    /* Keep the DLL for the life of the process: the functions are cached. */
    api.loaded = 1;
    return 0;
}

static DWORD
clusapi_load(void)
{
    DWORD status = 0;

    /* A failure is not cached: the administrator may install the
     * clustering tools while a long-running process keeps going. */
    AcquireSRWLockExclusive(&api.lock);
    if (!api.loaded) {
        status = resolve();
    }
    ReleaseSRWLockExclusive(&api.lock);
    return status;
}

static DWORD
clusapi_open(cu_context *ctx, void **cluster)
{
    HCLUSTER handle = api.open_cluster(ctx->cluster);

    if (handle == NULL) {
        DWORD err = GetLastError();
        /* A NULL handle with no error code still must not look like
         * success. */
        return err != 0 ? err : ERROR_INVALID_HANDLE;
    }
    *cluster = handle;
    return 0;
}

static DWORD
clusapi_upgrade(void *cluster, BOOL perform,
                PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    return api.upgrade((HCLUSTER)cluster, perform, callback, arg);
}

static void
clusapi_close(void *cluster)
{
    (void)api.close_cluster((HCLUSTER)cluster);
}

const cu_backend cu_clusapi_backend = {
    clusapi_load, clusapi_open, clusapi_upgrade, clusapi_close,
};

/* GetClusterInformation into out, growing the name buffer on
 * ERROR_MORE_DATA. */
static DWORD
read_information(HCLUSTER cluster, cu_cluster_info *out)
{
    DWORD chars = 64;
    int attempt;

    for (attempt = 0; attempt < 4; attempt++) {
        cu_versioninfo info;
        DWORD capacity = chars + 1;
        wchar_t *name = calloc(capacity, sizeof(wchar_t));
        DWORD status;

        if (name == NULL) {
            return CU_ERROR_NOT_ENOUGH_MEMORY;
        }
        memset(&info, 0, sizeof(info));
        info.dwVersionInfoSize = sizeof(info);
        chars = capacity;
        status = api.information(cluster, name, &chars, &info);
        if (status == ERROR_MORE_DATA) {
            /* `chars` now holds the length without the NUL. */
            free(name);
            continue;
        }
        if (status != 0) {
            free(name);
            return status;
        }
        name[capacity - 1] = L'\0';
        out->name = name;
        out->major = info.MajorVersion;
        out->minor = info.MinorVersion;
        out->build = info.BuildNumber;
        out->highest = info.dwClusterHighestVersion;
        out->lowest = info.dwClusterLowestVersion;
        out->flags = info.dwFlags;
        return 0;
    }
    return ERROR_MORE_DATA;
}

DWORD
cu_clusapi_info(const wchar_t *cluster, cu_cluster_info *out, cu_stage *stage)
{
    HCLUSTER handle;
    DWORD status;

    *stage = CU_STAGE_LOAD;
    status = clusapi_load();
    if (status != 0) {
        return status;
    }
    *stage = CU_STAGE_OPEN;
    handle = api.open_cluster(cluster);
    if (handle == NULL) {
        status = GetLastError();
        return status != 0 ? status : ERROR_INVALID_HANDLE;
    }
    *stage = CU_STAGE_UPGRADE;
    status = read_information(handle, out);
    (void)api.close_cluster(handle);
    return status;
}
