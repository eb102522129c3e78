/* The native progress callback every backend calls (trampoline.c), and the
 * guard that keeps it out of Python while the interpreter shuts down. */
#ifndef CLUSUPGRADE_TRAMPOLINE_H
#define CLUSUPGRADE_TRAMPOLINE_H

#include "clusapi_types.h"

/* `arg` is the call's cu_context.  Forwards the phase to the context's
 * sink as (phase, elapsed_ns, wall_ns, thread_id) and answers TRUE, or
 * answers FALSE without forwarding once the call is cancelled, its
 * consumer is gone, or the interpreter is shutting down. */
BOOL WINAPI cu_trampoline(PVOID arg, CLUSTER_UPGRADE_PHASE phase);

/* Called once, with the GIL held, when the interpreter starts to shut down
 * (an atexit hook).  Returns once no callback is inside Python; from then
 * on none enters. */
void cu_trampoline_close(void);

/* Non-zero once cu_trampoline_close() has run. */
int cu_trampoline_closed(void);

#endif /* CLUSUPGRADE_TRAMPOLINE_H */
