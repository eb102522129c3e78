/* The shutdown guard (guard.h). */
#include <Python.h>

#include "guard.h"
#include "platform.h"

/* Process-wide, because a thread calling back cannot know which module
 * object it belongs to, and the guard must work after module state is
 * gone.  With sequentially consistent atomics, either a thread entering
 * sees `closing`, or cu_guard_close() sees it in `inside` and waits. */
static cu_atomic closing;
static cu_atomic inside;

#ifndef _WIN32
/* How many times the calling thread is inside.  fork() copies `inside`,
 * which counts every thread, but keeps only the thread that forked: the
 * child's count must be that thread's alone, or its atexit hook waits for
 * threads that do not exist. */
static _Thread_local long depth;
/* The forking thread's depth, read before fork() because reading a
 * thread-local variable may allocate, which the child may not do. */
static long depth_at_fork;
#endif

static void
add_depth(long n)
{
#ifndef _WIN32
    depth += n;
#else
    (void)n;
#endif
}

int
cu_guard_enter(void)
{
    cu_atomic_add(&inside, 1);
    if (cu_atomic_load(&closing)) {
        cu_atomic_add(&inside, -1);
        return 0;
    }
    add_depth(1);
    return 1;
}

void
cu_guard_leave(void)
{
    add_depth(-1);
    cu_atomic_add(&inside, -1);
}

void
cu_guard_close(void)
{
    cu_atomic_store(&closing, 1);
    if (cu_atomic_load(&inside) == 0) {
        return;
    }
    /* A thread inside may be waiting for the GIL we hold. */
    Py_BEGIN_ALLOW_THREADS
    while (cu_atomic_load(&inside) != 0) {
        cu_sleep_ns(1000000);
    }
    Py_END_ALLOW_THREADS
}

int
cu_guard_closed(void)
{
    return cu_atomic_load(&closing) != 0;
}

#ifndef _WIN32
void
cu_guard_before_fork(void)
{
    depth_at_fork = depth;
}

void
cu_guard_after_fork_child(void)
{
    /* `closing` stays: a copy of a process that had begun to exit is
     * exiting too. */
    cu_atomic_store(&inside, depth_at_fork);
}
#endif
