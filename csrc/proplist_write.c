/* Building a cluster property list (proplist_write.h). */
#include "proplist_write.h"

#include <string.h>

void
cu_proplist_begin(cu_proplist *list, cu_buf *out)
{
    list->out = out;
    list->count_at = out->len;
    list->count = 0;
    cu_buf_u32(out, 0);
}

/* One entry's head: its syntax and the length of its value. */
static void
entry_head(cu_buf *out, uint32_t syntax, size_t length)
{
    cu_buf_u32(out, syntax);
    cu_buf_u32(out, (uint32_t)length);
}

/* The NAME entry that opens a property: UTF-16 with its NUL, padded. */
static void
name_entry(cu_proplist *list, const char *name)
{
    size_t n = strlen(name);
    size_t i;

    entry_head(list->out, CU_CLUSPROP_SYNTAX_NAME, (n + 1) * 2);
    for (i = 0; i < n; i++) {
        cu_buf_u16(list->out, (uint16_t)(unsigned char)name[i]);
    }
    cu_buf_u16(list->out, 0);
    cu_buf_pad4(list->out);
    list->count++;
}

/* The lone DWORD that closes a property's value list. */
static void
endmark(cu_proplist *list)
{
    cu_buf_u32(list->out, CU_CLUSPROP_SYNTAX_ENDMARK);
}

void
cu_proplist_dword(cu_proplist *list, const char *name, uint32_t value)
{
    name_entry(list, name);
    entry_head(list->out, CU_CLUSPROP_SYNTAX_LIST_VALUE_DWORD, sizeof(value));
    cu_buf_u32(list->out, value);
    endmark(list);
}

void
cu_proplist_sz(cu_proplist *list, const char *name, const uint16_t *value,
               size_t units)
{
    name_entry(list, name);
    entry_head(list->out, CU_CLUSPROP_SYNTAX_LIST_VALUE_SZ, (units + 1) * 2);
    cu_buf_append(list->out, value, units * 2);
    cu_buf_u16(list->out, 0);
    cu_buf_pad4(list->out);
    endmark(list);
}

void
cu_proplist_end(cu_proplist *list)
{
    cu_buf *out = list->out;

    /* After a failed allocation the buffer's content is void anyway. */
    if (!out->failed) {
        memcpy(out->data + list->count_at, &list->count, sizeof(list->count));
    }
}
