/* The native progress callback every backend calls for a phase of one
 * call (trampoline.c). */
#ifndef CLUSUPGRADE_TRAMPOLINE_H
#define CLUSUPGRADE_TRAMPOLINE_H

#include "clusapi_types.h"

/* `arg` is the call's cu_context.  Forwards the phase to the context's
 * sink as its phase record (record.h), and answers TRUE.
 * It answers FALSE, without forwarding, only once the call was aborted
 * (Call.abort()).  Once its consumer is gone (Call.detach(), the Call's
 * dealloc) or the interpreter is shutting down, it forwards nothing and
 * answers TRUE. */
BOOL WINAPI cu_trampoline(PVOID arg, CLUSTER_UPGRADE_PHASE phase);

#endif /* CLUSUPGRADE_TRAMPOLINE_H */
