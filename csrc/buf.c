/* The growable buffer and the payload's section framing (buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

/* A payload holds a few property lists; anything near this is a server
 * gone wrong, and refusing it keeps a hostile answer from exhausting
 * memory. */
#define MAX_BUF ((size_t)64 * 1024 * 1024)

void
cu_buf_init(cu_buf *buf)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->failed = 0;
}

void
cu_buf_free(cu_buf *buf)
{
    free(buf->data);
    cu_buf_init(buf);
}

unsigned char *
cu_buf_reserve(cu_buf *buf, size_t n)
{
    size_t want;
    unsigned char *grown;

    if (buf->failed) {
        return NULL;
    }
    if (n > MAX_BUF - buf->len) {
        buf->failed = 1;
        return NULL;
    }
    want = buf->len + n;
    if (want > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < want) {
            cap *= 2;
        }
        grown = realloc(buf->data, cap);
        if (grown == NULL) {
            buf->failed = 1;
            return NULL;
        }
        buf->data = grown;
        buf->cap = cap;
    }
    return buf->data + buf->len;
}

void
cu_buf_commit(cu_buf *buf, size_t n)
{
    if (!buf->failed) {
        buf->len += n;
    }
}

void
cu_buf_append(cu_buf *buf, const void *bytes, size_t n)
{
    unsigned char *at = cu_buf_reserve(buf, n);

    if (at != NULL) {
        if (n > 0) {
            memcpy(at, bytes, n);
        }
        cu_buf_commit(buf, n);
    }
}

void
cu_buf_u16(cu_buf *buf, uint16_t value)
{
    cu_buf_append(buf, &value, sizeof(value));
}

void
cu_buf_u32(cu_buf *buf, uint32_t value)
{
    cu_buf_append(buf, &value, sizeof(value));
}

void
cu_buf_pad4(cu_buf *buf)
{
    static const unsigned char zeros[3] = {0, 0, 0};

    if (buf->len % 4 != 0) {
        cu_buf_append(buf, zeros, 4 - buf->len % 4);
    }
}

size_t
cu_buf_section_begin(cu_buf *buf, uint32_t id, uint32_t status)
{
    size_t head;

    cu_buf_pad4(buf);
    head = buf->len;
    cu_buf_u32(buf, id);
    cu_buf_u32(buf, status);
    cu_buf_u32(buf, 0);
    return head;
}

void
cu_buf_section_end(cu_buf *buf, size_t head)
{
    uint32_t length;

    if (buf->failed) {
        return;
    }
    length = (uint32_t)(buf->len - head - 12);
    memcpy(buf->data + head + 8, &length, sizeof(length));
    cu_buf_pad4(buf);
}

void
cu_buf_section_status(cu_buf *buf, size_t head, uint32_t status)
{
    if (!buf->failed) {
        memcpy(buf->data + head + 4, &status, sizeof(status));
    }
}

void
cu_buf_section_absent(cu_buf *buf, uint32_t id, uint32_t status)
{
    cu_buf_section_end(buf, cu_buf_section_begin(buf, id, status));
}
