/* The shutdown guard: native threads (the trampoline, the call's worker)
 * enter Python only through it, so that none does once the interpreter
 * has started to finalize.
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

#endif /* CLUSUPGRADE_GUARD_H */
