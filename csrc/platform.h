/* The few operating-system services the native code needs, behind one
 * interface: clocks, thread ids, sleeping, joinable threads and atomics.
 *
 * Nothing here touches Python, so every function may be called on a thread
 * that holds no Python thread state, and after the interpreter is gone.
 * Implementations: platform_posix.c and platform_win.c. */
#ifndef CLUSUPGRADE_PLATFORM_H
#define CLUSUPGRADE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <windows.h>
#else
/* The Windows names the clusapi interface is written in, so the trampoline
 * and the simulator have one signature on every platform. */
typedef int BOOL;
typedef uint32_t DWORD;
typedef void *PVOID;
#  define WINAPI
#  ifndef TRUE
#    define TRUE 1
#    define FALSE 0
#  endif
#endif

/* Monotonic clock in nanoseconds; only differences are meaningful. */
int64_t cu_monotonic_ns(void);

/* Wall clock in nanoseconds since the Unix epoch: time.time()'s clock. */
int64_t cu_wall_ns(void);

/* The id threading.get_native_id() reports for the calling thread. */
uint64_t cu_thread_id(void);

void cu_sleep_ns(int64_t ns);

/* A joinable native thread. */
#ifdef _WIN32
typedef HANDLE cu_thread;
#else
#  include <pthread.h>
typedef pthread_t cu_thread;
#endif

/* The stack for threads that only call back (the simulator's, and the
 * worker of a simulated call): a fleet may run thousands at once.  The
 * callback chain, Python's put() included, needs a fraction of it. */
#define CU_SMALL_STACK ((size_t)256 * 1024)

/* Starts `fn(arg)` on a new thread with `stack_bytes` of stack (0: the
 * platform's default, for threads that call into system DLLs such as
 * clusapi's RPC and authentication).  Returns 0, or a Win32 error code
 * (on POSIX too: errno values are not Win32 codes) when no thread could be
 * made. */
DWORD cu_thread_start(cu_thread *thread, void (*fn)(void *), void *arg,
                      size_t stack_bytes);
void cu_thread_join(cu_thread thread);
/* The thread runs on and cleans up after itself; no join. */
void cu_thread_detach(cu_thread thread);

/* A one-shot, manual-reset event: once set it stays set. */
#ifdef _WIN32
typedef struct cu_event {
    SRWLOCK lock;
    CONDITION_VARIABLE cond;
    int set;
} cu_event;
#else
typedef struct cu_event {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int set;
} cu_event;
#endif

/* 0 or a Win32 error code. */
DWORD cu_event_init(cu_event *event);
void cu_event_destroy(cu_event *event);
void cu_event_set(cu_event *event);
/* Waits at most timeout_ns (< 0: forever); non-zero when the event is set. */
int cu_event_wait(cu_event *event, int64_t timeout_ns);

/* Sequentially consistent atomics on a long.  C11 <stdatomic.h> is not
 * available in every MSVC that builds Windows wheels, so use the compiler
 * builtins directly. */
typedef volatile long cu_atomic;

#ifdef _WIN32
static inline long cu_atomic_load(cu_atomic *p)
{
    return InterlockedCompareExchange(p, 0, 0);
}
static inline void cu_atomic_store(cu_atomic *p, long v)
{
    InterlockedExchange(p, v);
}
static inline long cu_atomic_add(cu_atomic *p, long v)
{
    /* Returns the new value. */
    return InterlockedExchangeAdd(p, v) + v;
}
#else
static inline long cu_atomic_load(cu_atomic *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void cu_atomic_store(cu_atomic *p, long v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline long cu_atomic_add(cu_atomic *p, long v)
{
    return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}
#endif

/* A mutex for short critical sections that never call into Python (the
 * simulated cluster's state).  Not recursive. */
#ifdef _WIN32
typedef SRWLOCK cu_mutex;
static inline void cu_mutex_init(cu_mutex *m) { InitializeSRWLock(m); }
static inline void cu_mutex_destroy(cu_mutex *m) { (void)m; }
static inline void cu_mutex_lock(cu_mutex *m) { AcquireSRWLockExclusive(m); }
static inline void cu_mutex_unlock(cu_mutex *m) { ReleaseSRWLockExclusive(m); }
#else
typedef pthread_mutex_t cu_mutex;
static inline void cu_mutex_init(cu_mutex *m) { (void)pthread_mutex_init(m, NULL); }
static inline void cu_mutex_destroy(cu_mutex *m) { (void)pthread_mutex_destroy(m); }
static inline void cu_mutex_lock(cu_mutex *m) { (void)pthread_mutex_lock(m); }
static inline void cu_mutex_unlock(cu_mutex *m) { (void)pthread_mutex_unlock(m); }
#endif

/* The id of this process: after fork() the child's differs, which is how
 * state shared with threads that did not survive the fork is recognised. */
#ifdef _WIN32
static inline long cu_process_id(void) { return (long)GetCurrentProcessId(); }
#else
#  include <unistd.h>
static inline long cu_process_id(void) { return (long)getpid(); }
#endif

#endif /* CLUSUPGRADE_PLATFORM_H */
