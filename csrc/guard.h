/* The shutdown guard: native threads (the trampoline, the call's worker,
 * the asyncio relay) enter Python only through it, so that none does once
 * the interpreter has started to finalize.
 *
 * A thread that calls PyGILState_Ensure() while the interpreter finalizes
 * is killed (3.12 and earlier) or blocks forever (3.13 and later), and
 * Py_IsFinalizing() alone is racy.  The guard closes from an atexit hook,
 * before finalization starts, and waits for every thread inside to leave. */
#ifndef CLUSUPGRADE_GUARD_H
#define CLUSUPGRADE_GUARD_H

/* Non-zero when the caller may take the GIL; it must then call
 * cu_guard_leave() once it has released it again. */
int cu_guard_enter(void);
void cu_guard_leave(void);

/* With the GIL held, once.  Returns when no thread is inside; from then on
 * cu_guard_enter() fails. */
void cu_guard_close(void);

/* Non-zero once cu_guard_close() has run. */
int cu_guard_closed(void);

/* POSIX only, for fork.c: in the parent, on the thread that forks, just
 * before fork(); then in the child, which has only that thread, just after
 * it.  The child's count of threads inside becomes that thread's own. */
void cu_guard_before_fork(void);
void cu_guard_after_fork_child(void);

#endif /* CLUSUPGRADE_GUARD_H */
