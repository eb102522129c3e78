/* Running one call on a native thread of its own (worker.c). */
#ifndef CLUSUPGRADE_WORKER_H
#define CLUSUPGRADE_WORKER_H

#include "backend.h"
#include "context.h"

/* Runs the whole call for `ctx` through `backend`: waits for ctx->after,
 * makes the call without the GIL, marks the context finished and puts
 * (status, stage) into the sink.  Must be called without the GIL. */
void cu_call_native(const cu_backend *backend, cu_context *ctx, DWORD *status,
                    cu_stage *stage);

/* Starts a detached native thread that runs cu_call_native() and delivers
 * its outcome to the sink; it takes its own reference to `ctx`.  0 or an
 * error code. */
DWORD cu_worker_start(const cu_backend *backend, cu_context *ctx);

#endif /* CLUSUPGRADE_WORKER_H */
