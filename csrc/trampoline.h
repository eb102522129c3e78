/* The native progress callback every backend calls for a phase of one
 * call (trampoline.c). */
#ifndef CLUSUPGRADE_TRAMPOLINE_H
#define CLUSUPGRADE_TRAMPOLINE_H

#include "clusapi_types.h"

/* `arg` is the call's cu_context.  Forwards the phase to the context's
 * sink as 28 bytes, struct "=iqqQ" (phase, elapsed_ns, wall_ns, thread_id),
 * or as (tag, those bytes) when the context has a tag, and answers TRUE, or
 * answers FALSE without forwarding once the call is cancelled, its
 * consumer is gone, or the interpreter is shutting down. */
BOOL WINAPI cu_trampoline(PVOID arg, CLUSTER_UPGRADE_PHASE phase);

#endif /* CLUSUPGRADE_TRAMPOLINE_H */
