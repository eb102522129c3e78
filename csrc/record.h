/* The records a call puts into its queue (record.c).
 *
 * Both are bytes objects: a bytes object is one allocation that the garbage
 * collector does not track, so creating one on a cluster's thread can
 * never start a collection, and so never runs a user's __del__ there (a
 * tuple can).  Layouts, native byte order, no padding:
 *   phase  "=BIiqqQ": 'P', tag, phase, elapsed_ns, wall_ns, thread_id
 *   end    "=BIIiiq": 'E', tag, status, stage, missing, duration_ns (from
 *                      the call's start to its return, measured where it
 *                      returned), then the payload's sections (buf.h) */
#ifndef CLUSUPGRADE_RECORD_H
#define CLUSUPGRADE_RECORD_H

#include <Python.h>

#include "context.h"

#define CU_RECORD_PHASE 'P'
#define CU_RECORD_END 'E'
#define CU_PHASE_RECORD_SIZE 33
#define CU_END_HEADER_SIZE 25

/* Fills `out` with the phase record; no Python, no GIL needed. */
void cu_record_phase(const cu_context *ctx, int32_t phase, int64_t elapsed_ns,
                     int64_t wall_ns, uint64_t thread_id,
                     char out[CU_PHASE_RECORD_SIZE]);

/* With the GIL held, once the call has finished: a new bytes object with
 * the end record, or NULL with an exception set. */
PyObject *cu_record_end(const cu_context *ctx);

#endif /* CLUSUPGRADE_RECORD_H */
