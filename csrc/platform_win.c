/* platform.h on Windows. */
#include "platform.h"

#include <process.h>
#include <stdlib.h>

/* 100 ns intervals between 1601-01-01 (FILETIME) and 1970-01-01. */
#define EPOCH_DIFFERENCE_100NS 116444736000000000LL

int64_t
cu_monotonic_ns(void)
{
    static LARGE_INTEGER frequency;
    LARGE_INTEGER now;

    if (frequency.QuadPart == 0) {
        /* Fixed at boot; a racing second initialisation writes the same. */
        QueryPerformanceFrequency(&frequency);
    }
    QueryPerformanceCounter(&now);
    /* Split the division so that the product cannot overflow. */
    return (int64_t)(now.QuadPart / frequency.QuadPart) * 1000000000
        + (int64_t)(now.QuadPart % frequency.QuadPart) * 1000000000
              / frequency.QuadPart;
}

int64_t
cu_wall_ns(void)
{
    FILETIME ft;
    ULARGE_INTEGER t;

    GetSystemTimePreciseAsFileTime(&ft);
    t.LowPart = ft.dwLowDateTime;
    t.HighPart = ft.dwHighDateTime;
    return ((int64_t)t.QuadPart - EPOCH_DIFFERENCE_100NS) * 100;
}

uint64_t
cu_thread_id(void)
{
    return (uint64_t)GetCurrentThreadId();
}

void
cu_sleep_ns(int64_t ns)
{
    int64_t ms = (ns + 999999) / 1000000;

    if (ns <= 0) {
        return;
    }
    while (ms > 0) {
        DWORD chunk = ms > 0x7fffffff ? 0x7fffffff : (DWORD)ms;
        Sleep(chunk);
        ms -= chunk;
    }
}

struct start_block {
    void (*fn)(void *);
    void *arg;
};

static unsigned __stdcall
thread_main(void *raw)
{
    struct start_block block = *(struct start_block *)raw;
    free(raw);
    block.fn(block.arg);
    return 0;
}

DWORD
cu_thread_start(cu_thread *thread, void (*fn)(void *), void *arg,
                size_t stack_bytes)
{
    struct start_block *block = malloc(sizeof(*block));
    uintptr_t handle;

    if (block == NULL) {
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    block->fn = fn;
    block->arg = arg;
    /* _beginthreadex, not CreateThread, so the C runtime is set up for the
     * thread; the stack size is a reservation, as on POSIX, and 0 takes
     * the executable's default (1 MiB for python.exe). */
    handle = _beginthreadex(NULL, (unsigned)stack_bytes, thread_main, block,
                            stack_bytes ? STACK_SIZE_PARAM_IS_A_RESERVATION : 0,
                            NULL);
    if (handle == 0) {
        DWORD err = GetLastError();
        free(block);
        return err ? err : ERROR_NOT_ENOUGH_MEMORY;
    }
    *thread = (HANDLE)handle;
    return 0;
}

void
cu_thread_join(cu_thread thread)
{
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
}

void
cu_thread_detach(cu_thread thread)
{
    CloseHandle(thread);
}

DWORD
cu_event_init(cu_event *event)
{
    InitializeSRWLock(&event->lock);
    InitializeConditionVariable(&event->cond);
    event->set = 0;
    return 0;
}

void
cu_event_destroy(cu_event *event)
{
    /* SRW locks and condition variables own no resources. */
    (void)event;
}

void
cu_event_set(cu_event *event)
{
    AcquireSRWLockExclusive(&event->lock);
    event->set = 1;
    ReleaseSRWLockExclusive(&event->lock);
    WakeAllConditionVariable(&event->cond);
}

int
cu_event_wait(cu_event *event, int64_t timeout_ns)
{
    int64_t end = timeout_ns < 0 ? 0 : cu_monotonic_ns() + timeout_ns;
    int set;

    AcquireSRWLockExclusive(&event->lock);
    while (!event->set) {
        DWORD ms = INFINITE;
        if (timeout_ns >= 0) {
            int64_t left = end - cu_monotonic_ns();
            if (left <= 0) {
                break;
            }
            left = (left + 999999) / 1000000;
            ms = left > 0x7fffffff ? 0x7fffffff : (DWORD)left;
        }
        (void)SleepConditionVariableSRW(&event->cond, &event->lock, ms, 0);
    }
    set = event->set;
    ReleaseSRWLockExclusive(&event->lock);
    return set;
}
