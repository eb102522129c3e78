/* Forked children (fork.h).
 *
 * A child inherits the counts of native threads that are not in it: the
 * shutdown guard's threads inside (a callback waiting for the GIL at the
 * moment of the fork) and the running relays.  Left alone, its atexit hook
 * would wait forever for the first.  A pthread_atfork() child handler
 * resets them before anything else runs in the child, also for a fork()
 * made from C without Python's own after-fork hooks; os.register_at_fork()
 * hooks run later, after other Python code.  Windows has no fork(). */
#ifndef _WIN32
#  define _POSIX_C_SOURCE 200809L
#  include <pthread.h>
#endif

#include "fork.h"
#include "guard.h"
#include "relay.h"

static cu_atomic generation;

long
cu_fork_generation(void)
{
    return cu_atomic_load(&generation);
}

#ifdef _WIN32

DWORD
cu_fork_init(void)
{
    return 0;
}

#else

static void
before_fork(void)
{
    cu_guard_before_fork();
}

/* Only async-signal-safe work: the child of a threaded process may not
 * allocate or lock before it execs or has reinitialised what it uses. */
static void
after_fork_child(void)
{
    cu_guard_after_fork_child();
    cu_relay_after_fork_child();
    cu_atomic_add(&generation, 1);
}

DWORD
cu_fork_init(void)
{
    /* Handlers cannot be removed, and the library is never unloaded; the
     * GIL of the main interpreter, the only one that runs this, orders
     * the calls. */
    static int installed;
    int err;

    if (installed) {
        return 0;
    }
    err = pthread_atfork(before_fork, NULL, after_fork_child);
    if (err != 0) {
        return (DWORD)err;
    }
    installed = 1;
    return 0;
}

#endif
