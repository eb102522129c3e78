/* The records a call puts into its queue (record.h). */
#include "record.h"

#include <string.h>

void
cu_record_phase(const cu_context *ctx, int32_t phase, int64_t elapsed_ns,
                int64_t wall_ns, uint64_t thread_id,
                char out[CU_PHASE_RECORD_SIZE])
{
    out[0] = CU_RECORD_PHASE;
    memcpy(out + 1, &ctx->tag, 4);
    memcpy(out + 5, &phase, 4);
    memcpy(out + 9, &elapsed_ns, 8);
    memcpy(out + 17, &wall_ns, 8);
    memcpy(out + 25, &thread_id, 8);
}

PyObject *
cu_record_end(const cu_context *ctx)
{
    uint32_t status = ctx->status;
    int32_t stage = ctx->stage;
    int32_t missing = ctx->missing;
    int64_t duration_ns = ctx->duration_ns;
    size_t payload = ctx->payload.len;
    PyObject *record;
    char *out;

    if (payload > (size_t)PY_SSIZE_T_MAX - CU_END_HEADER_SIZE) {
        return PyErr_NoMemory();
    }
    record = PyBytes_FromStringAndSize(NULL,
                                       (Py_ssize_t)(CU_END_HEADER_SIZE + payload));
    if (record == NULL) {
        return NULL;
    }
    out = PyBytes_AsString(record);
    out[0] = CU_RECORD_END;
    memcpy(out + 1, &ctx->tag, 4);
    memcpy(out + 5, &status, 4);
    memcpy(out + 9, &stage, 4);
    memcpy(out + 13, &missing, 4);
    memcpy(out + 17, &duration_ns, 8);
    if (payload > 0) {
        memcpy(out + CU_END_HEADER_SIZE, ctx->payload.data, payload);
    }
    return record;
}
