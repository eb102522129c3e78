/* A test double for clusapi.dll, installed into the Wine prefix's system32
 * in place of Wine's builtin (which lacks ClusterUpgradeFunctionalLevel).
 *
 * Scripted per call from the environment variable CLUSUPGRADE_DOUBLE, e.g.
 *   "phases=1,2,3,4,5;delay_ms=0;status=0;thread=caller;open_error=0"
 * thread=foreign calls back from a CreateThread thread.  What happened is
 * kept in a log that tests read through the extra export DoubleLog:
 *   "open=NAME|(local);perform=1;answers=110;tids=...;closed=1;" per call.
 * GetClusterInformation answers from "info=NAME,major,minor,build,highest,
 * lowest,flags" (numbers in decimal), and ERROR_MORE_DATA, as Windows does,
 * when the caller's name buffer is too short.
 * Built with -DPLANTED it is the impostor a hijack would plant: every call
 * fails with PLANTED_STATUS, so loading it is visible. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define PLANTED_STATUS 4242
#define MAX_PHASES 4096

typedef enum { PhaseAny = 0x7fffffff } PHASE;
typedef BOOL (WINAPI *progress_fn)(PVOID, PHASE);

typedef struct {
    char info[1024];
    int phases[MAX_PHASES];
    int n_phases;
    DWORD delay_ms;
    DWORD status;
    DWORD open_error;
    int foreign;
} script;

typedef struct {
    script *s;
    progress_fn cb;
    PVOID arg;
    DWORD status;
} run;

static CRITICAL_SECTION log_lock;
static char log_text[1 << 16];

static void
log_append(const char *text)
{
    EnterCriticalSection(&log_lock);
    if (strlen(log_text) + strlen(text) < sizeof(log_text)) {
        strcat(log_text, text);
    }
    LeaveCriticalSection(&log_lock);
}

BOOL WINAPI
DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
    (void)dll;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        InitializeCriticalSection(&log_lock);
    }
    return TRUE;
}

static void
read_script(script *s)
{
    char env[8192];
    char *item, *save = NULL;
    DWORD n = GetEnvironmentVariableA("CLUSUPGRADE_DOUBLE", env, sizeof(env));
    static const int fallback[] = {1, 2, 3, 4, 5};

    memset(s, 0, sizeof(*s));
    for (s->n_phases = 0; s->n_phases < 5; s->n_phases++) {
        s->phases[s->n_phases] = fallback[s->n_phases];
    }
    if (n == 0 || n >= sizeof(env)) {
        return;
    }
    for (item = strtok_r(env, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        if (strncmp(item, "phases=", 7) == 0) {
            char *p = item + 7, *end;
            s->n_phases = 0;
            while (*p && s->n_phases < MAX_PHASES) {
                s->phases[s->n_phases++] = (int)strtol(p, &end, 10);
                p = *end == ',' ? end + 1 : end;
                if (end == p && *p) {
                    break;
                }
            }
        } else if (strncmp(item, "delay_ms=", 9) == 0) {
            s->delay_ms = strtoul(item + 9, NULL, 10);
        } else if (strncmp(item, "status=", 7) == 0) {
            s->status = strtoul(item + 7, NULL, 10);
        } else if (strncmp(item, "open_error=", 11) == 0) {
            s->open_error = strtoul(item + 11, NULL, 10);
        } else if (strncmp(item, "info=", 5) == 0) {
            lstrcpynA(s->info, item + 5, sizeof(s->info));
        } else if (strcmp(item, "thread=foreign") == 0) {
            s->foreign = 1;
        }
    }
}

static DWORD
play(run *r)
{
    char note[64];
    int i;

    log_append("answers=");
    for (i = 0; i < r->s->n_phases; i++) {
        BOOL answer;
        if (i > 0 && r->s->delay_ms) {
            Sleep(r->s->delay_ms);
        }
        answer = r->cb(r->arg, (PHASE)r->s->phases[i]);
        log_append(answer ? "1" : "0");
        if (!answer) {
            log_append(";");
            return ERROR_CANCELLED;
        }
    }
    snprintf(note, sizeof(note), ";tid=%lu;", GetCurrentThreadId());
    log_append(note);
    return r->s->status;
}

static DWORD WINAPI
play_thread(LPVOID raw)
{
    run *r = raw;
    r->status = play(r);
    return 0;
}

__declspec(dllexport) HANDLE WINAPI
OpenCluster(LPCWSTR name)
{
    script s;
    char note[600];

    read_script(&s);
#ifdef PLANTED
    SetLastError(PLANTED_STATUS);
    return NULL;
#endif
    snprintf(note, sizeof(note), "open=%ls;", name ? name : L"(local)");
    log_append(note);
    if (s.open_error) {
        SetLastError(s.open_error);
        return NULL;
    }
    return (HANDLE)malloc(16);
}

__declspec(dllexport) BOOL WINAPI
CloseCluster(HANDLE cluster)
{
    free(cluster);
    log_append("closed=1;");
    return TRUE;
}

__declspec(dllexport) DWORD WINAPI
ClusterUpgradeFunctionalLevel(HANDLE cluster, BOOL perform, progress_fn cb, PVOID arg)
{
    script s;
    run r;
    char note[32];

    (void)cluster;
#ifdef PLANTED
    return PLANTED_STATUS;
#endif
    read_script(&s);
    snprintf(note, sizeof(note), "perform=%d;", perform ? 1 : 0);
    log_append(note);
    r.s = &s;
    r.cb = cb;
    r.arg = arg;
    r.status = 0;
    if (cb == NULL) {
        return s.status;
    }
    if (s.foreign) {
        HANDLE t = CreateThread(NULL, 0, play_thread, &r, 0, NULL);
        if (t == NULL) {
            return GetLastError();
        }
        WaitForSingleObject(t, INFINITE);
        CloseHandle(t);
        return r.status;
    }
    return play(&r);
}

typedef struct {
    DWORD dwVersionInfoSize;
    WORD MajorVersion, MinorVersion, BuildNumber;
    WCHAR szVendorId[64], szCSDVersion[64];
    DWORD dwClusterHighestVersion, dwClusterLowestVersion, dwFlags, dwReserved;
} VERSIONINFO_;

__declspec(dllexport) DWORD WINAPI
GetClusterInformation(HANDLE cluster, LPWSTR name, LPDWORD chars, VERSIONINFO_ *info)
{
    script s;
    char text[1024], *field, *save = NULL;
    unsigned long v[6] = {10, 0, 17763, 0, 0, 0};
    WCHAR wide[512];
    DWORD len;
    int i;

    (void)cluster;
    read_script(&s);
    lstrcpynA(text, s.info[0] ? s.info : "DOUBLE,10,0,17763,720896,655360,1", sizeof(text));
    field = strtok_r(text, ",", &save);
    len = (DWORD)MultiByteToWideChar(CP_UTF8, 0, field ? field : "", -1, wide, 512);
    len = len ? len - 1 : 0;
    for (i = 0; i < 6 && (field = strtok_r(NULL, ",", &save)) != NULL; i++) {
        v[i] = strtoul(field, NULL, 10);
    }
    log_append("info;");
    if (info == NULL || chars == NULL || info->dwVersionInfoSize < sizeof(*info)) {
        return ERROR_INVALID_PARAMETER;
    }
    if (*chars <= len) {
        *chars = len;
        log_append("more_data;");
        return ERROR_MORE_DATA;
    }
    memcpy(name, wide, (len + 1) * sizeof(WCHAR));
    *chars = len;
    info->MajorVersion = (WORD)v[0];
    info->MinorVersion = (WORD)v[1];
    info->BuildNumber = (WORD)v[2];
    info->dwClusterHighestVersion = v[3];
    info->dwClusterLowestVersion = v[4];
    info->dwFlags = v[5];
    return 0;
}

/* For tests: copies the log into buf (at most size bytes) and clears it. */
__declspec(dllexport) DWORD WINAPI
DoubleLog(char *buf, DWORD size)
{
    DWORD n;
    EnterCriticalSection(&log_lock);
    n = (DWORD)strlen(log_text);
    if (buf && size) {
        lstrcpynA(buf, log_text, (int)size);
    }
    log_text[0] = 0;
    LeaveCriticalSection(&log_lock);
    return n;
}
