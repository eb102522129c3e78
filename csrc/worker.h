/* Running one call on a native thread of its own (worker.c). */
#ifndef CLUSUPGRADE_WORKER_H
#define CLUSUPGRADE_WORKER_H

#include "backend.h"
#include "context.h"

/* Runs the whole call for `ctx` through `backend`: makes the call without
 * the GIL, stores its outcome (status, stage,
 * missing, payload) in the context and marks it finished.  Must be called
 * without the GIL. */
void cu_call_native(const cu_backend *backend, cu_context *ctx);

/* Starts a detached native thread that runs cu_call_native() and delivers
 * the end record to the sink; it takes its own reference to `ctx`.  0 or a
 * Win32 error code. */
DWORD cu_worker_start(const cu_backend *backend, cu_context *ctx);

#endif /* CLUSUPGRADE_WORKER_H */
