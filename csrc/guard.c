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

int
cu_guard_enter(void)
{
    cu_atomic_add(&inside, 1);
    if (cu_atomic_load(&closing)) {
        cu_atomic_add(&inside, -1);
        return 0;
    }
    return 1;
}

void
cu_guard_leave(void)
{
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
