/* platform.h on POSIX systems. */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <signal.h>
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

#if defined(__linux__)
static __thread uint64_t cached_tid;

static void
forget_tid(void)
{
    cached_tid = 0;
}

static void
forget_tid_at_fork(void)
{
    (void)pthread_atfork(NULL, NULL, forget_tid);
}
#endif

uint64_t
cu_thread_id(void)
{
#if defined(__linux__)
    /* gettid is a real system call; a thread's id never changes, so every
     * callback after the first on a thread reads it from here.  Except
     * across fork(): the child's only thread inherits the forking thread's
     * cache but has an id of its own, so the child forgets the cache. */
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    if (cached_tid == 0) {
        (void)pthread_once(&once, forget_tid_at_fork);
        cached_tid = (uint64_t)syscall(SYS_gettid);
    }
    return cached_tid;
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

/* The Win32 code closest to a pthread error, so that the Python layer,
 * which reads every status as a Win32 code, says the right thing: errno 11
 * (EAGAIN) would otherwise read as ERROR_BAD_FORMAT. */
static DWORD
win32_code(int err)
{
    switch (err) {
    case 0:
        return 0;
    case EAGAIN:
    case ENOMEM:
        return 8;           /* ERROR_NOT_ENOUGH_MEMORY */
    case EINVAL:
        return 87;          /* ERROR_INVALID_PARAMETER */
    case EPERM:
        return 5;           /* ERROR_ACCESS_DENIED */
    default:
        return 31;          /* ERROR_GEN_FAILURE */
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

/* The new thread inherits the mask of the thread that creates it.  With
 * every asynchronous signal blocked in ours, a signal sent to the process
 * (Ctrl+C) goes to one of Python's threads, so the main thread's wait is
 * interrupted at once rather than at the end of its poll step.  Faults
 * stay unblocked: they belong to the thread that caused them. */
static void
block_async_signals(sigset_t *old)
{
    sigset_t set;
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
                                 SIGTRAP};
    size_t i;

    sigfillset(&set);
    for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        sigdelset(&set, faults[i]);
    }
    (void)pthread_sigmask(SIG_SETMASK, &set, old);
}

DWORD
cu_thread_start(cu_thread *thread, void (*fn)(void *), void *arg,
                size_t stack_bytes)
{
    pthread_attr_t attr;
    struct start_block *block = malloc(sizeof(*block));
    sigset_t old_mask;
    int err;

    if (block == NULL) {
        return win32_code(ENOMEM);
    }
    block->fn = fn;
    block->arg = arg;
    err = pthread_attr_init(&attr);
    if (err != 0) {
        free(block);
        return win32_code(err);
    }
    if (stack_bytes != 0) {
        (void)pthread_attr_setstacksize(&attr, stack_bytes);
    }
    block_async_signals(&old_mask);
    err = pthread_create(thread, &attr, thread_main, block);
    (void)pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        free(block);
        return win32_code(err);
    }
    return 0;
}

void
cu_thread_join(cu_thread thread)
{
    (void)pthread_join(thread, NULL);
}

void
cu_thread_detach(cu_thread thread)
{
    (void)pthread_detach(thread);
}

DWORD
cu_event_init(cu_event *event)
{
    pthread_condattr_t attr;
    int err;

    event->set = 0;
    err = pthread_mutex_init(&event->lock, NULL);
    if (err != 0) {
        return win32_code(err);
    }
    /* Timed waits measure against the monotonic clock, so a change of the
     * wall clock cannot stretch or cut them. */
    err = pthread_condattr_init(&attr);
    if (err == 0) {
#ifndef __APPLE__
        (void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
        err = pthread_cond_init(&event->cond, &attr);
        pthread_condattr_destroy(&attr);
    }
    if (err != 0) {
        pthread_mutex_destroy(&event->lock);
        return win32_code(err);
    }
    return 0;
}

void
cu_event_destroy(cu_event *event)
{
    pthread_cond_destroy(&event->cond);
    pthread_mutex_destroy(&event->lock);
}

void
cu_event_set(cu_event *event)
{
    pthread_mutex_lock(&event->lock);
    event->set = 1;
    pthread_cond_broadcast(&event->cond);
    pthread_mutex_unlock(&event->lock);
}

int
cu_event_wait(cu_event *event, int64_t timeout_ns)
{
    struct timespec deadline;
    int set;

    if (timeout_ns >= 0) {
        int64_t end;
#ifdef __APPLE__
        end = cu_wall_ns() + timeout_ns;
#else
        end = cu_monotonic_ns() + timeout_ns;
#endif
        deadline.tv_sec = (time_t)(end / 1000000000);
        deadline.tv_nsec = (long)(end % 1000000000);
    }
    pthread_mutex_lock(&event->lock);
    while (!event->set) {
        if (timeout_ns < 0) {
            pthread_cond_wait(&event->cond, &event->lock);
        } else if (pthread_cond_timedwait(&event->cond, &event->lock,
                                          &deadline) == ETIMEDOUT) {
            break;
        }
    }
    set = event->set;
    pthread_mutex_unlock(&event->lock);
    return set;
}
