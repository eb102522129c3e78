/* A growable byte buffer in plain malloc memory, and the section framing of
 * a call's payload (see "Payload" in the README's "How it works").
 *
 * Backends fill it on the worker thread, without the GIL, so it cannot use
 * Python's allocator.  A failed allocation does not stop the writer: the
 * buffer remembers it (`failed`) and ignores every later append, so a
 * backend writes straight on and the worker reports ERROR_NOT_ENOUGH_MEMORY
 * once, instead of every call site checking. */
#ifndef CLUSUPGRADE_BUF_H
#define CLUSUPGRADE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct cu_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
    int failed;             /* an allocation failed; the content is void */
} cu_buf;

/* Section ids of a payload; Python's payload parser mirrors them. */
enum cu_section {
    CU_SECTION_INFO = 1,
    CU_SECTION_CLUSTER_PROPS = 2,
    CU_SECTION_CLUSTER_PROPS_AFTER = 3,
    CU_SECTION_NODES = 4,
    CU_SECTION_NODE = 5,
    /* The read-write common properties (a query only). */
    CU_SECTION_CLUSTER_PROPS_RW = 6,
    /* The simulator's own state, which no real cluster reports. */
    CU_SECTION_SIM_STATE = 7,
};

void cu_buf_init(cu_buf *buf);
void cu_buf_free(cu_buf *buf);
void cu_buf_append(cu_buf *buf, const void *bytes, size_t n);
void cu_buf_u16(cu_buf *buf, uint16_t value);
void cu_buf_u32(cu_buf *buf, uint32_t value);
/* Zero bytes up to the next multiple of 4. */
void cu_buf_pad4(cu_buf *buf);
/* Makes room for `n` more bytes and returns where they go (the caller
 * writes at most `n` and then calls cu_buf_commit), or NULL when memory is
 * short. */
unsigned char *cu_buf_reserve(cu_buf *buf, size_t n);
void cu_buf_commit(cu_buf *buf, size_t n);

/* A section is `u32 id, u32 status, u32 length, data, padding to 4`.
 * cu_buf_section_begin writes the head with length 0 and returns its
 * offset; cu_buf_section_end patches the length and pads. */
size_t cu_buf_section_begin(cu_buf *buf, uint32_t id, uint32_t status);
void cu_buf_section_end(cu_buf *buf, size_t head);
/* Sets the status of the section begun at `head` (when the outcome is
 * known only after its data was attempted). */
void cu_buf_section_status(cu_buf *buf, size_t head, uint32_t status);
/* A section with no data: `status` says why it is absent. */
void cu_buf_section_absent(cu_buf *buf, uint32_t id, uint32_t status);

#endif /* CLUSUPGRADE_BUF_H */
