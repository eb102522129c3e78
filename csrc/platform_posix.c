/* platform.h on POSIX systems. */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#  include <sys/syscall.h>
#endif

static int64_t
clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
cu_monotonic_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

int64_t
cu_wall_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

uint64_t
cu_thread_id(void)
{
#if defined(__linux__)
    return (uint64_t)syscall(SYS_gettid);
#elif defined(__APPLE__)
    uint64_t tid = 0;
    pthread_threadid_np(NULL, &tid);
    return tid;
#else
    return (uint64_t)(uintptr_t)pthread_self();
#endif
}

void
cu_sleep_ns(int64_t ns)
{
    struct timespec ts;
    if (ns <= 0) {
        return;
    }
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    /* A signal handler (Python's SIGINT one) may cut the sleep short: the
     * simulated cluster keeps working regardless, like a real one. */
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

struct start_block {
    void (*fn)(void *);
    void *arg;
};

static void *
thread_main(void *raw)
{
    struct start_block block = *(struct start_block *)raw;
    free(raw);
    block.fn(block.arg);
    return NULL;
}

DWORD
cu_thread_start(cu_thread *thread, void (*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    struct start_block *block = malloc(sizeof(*block));
    int err;

    if (block == NULL) {
        return ENOMEM;
    }
    block->fn = fn;
    block->arg = arg;
    err = pthread_attr_init(&attr);
    if (err != 0) {
        free(block);
        return (DWORD)err;
    }
    /* 256 KiB holds the callback chain, Python's included, with room to
     * spare, and keeps hundreds of simulated clusters cheap. */
    (void)pthread_attr_setstacksize(&attr, 256 * 1024);
    err = pthread_create(thread, &attr, thread_main, block);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        free(block);
        return (DWORD)err;
    }
    return 0;
}

void
cu_thread_join(cu_thread thread)
{
    (void)pthread_join(thread, NULL);
}
