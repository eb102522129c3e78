/* Building a cluster property list, the format ClusterControl returns for
 * CLUSCTL_*_GET_RO_COMMON_PROPERTIES (Microsoft's "Property Lists"):
 *
 *   DWORD count, then per property:
 *     CLUSPROP_SYNTAX_NAME, DWORD cbLength, UTF-16 name with NUL, pad to 4
 *     one value: DWORD syntax, DWORD cbLength, the value, pad to 4
 *     CLUSPROP_SYNTAX_ENDMARK (a lone DWORD 0)
 *
 * The simulated cluster writes its properties with this, so that the
 * Python parser reads the simulator's answer exactly as it reads a real
 * server's.  Strings are UTF-16 code units written here, not wchar_t,
 * which is 4 bytes outside Windows.  Numbers go in native byte order:
 * little-endian, as on Windows, on every platform clusupgrade builds for.
 * The list must start at a 4-byte boundary of the buffer (as section data
 * does), so that padding to 4 in the buffer is padding to 4 in the list. */
#ifndef CLUSUPGRADE_PROPLIST_WRITE_H
#define CLUSUPGRADE_PROPLIST_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CU_CLUSPROP_SYNTAX_ENDMARK 0x00000000u
#define CU_CLUSPROP_SYNTAX_NAME 0x00040003u
#define CU_CLUSPROP_SYNTAX_LIST_VALUE_DWORD 0x00010002u
#define CU_CLUSPROP_SYNTAX_LIST_VALUE_SZ 0x00010003u

typedef struct cu_proplist {
    cu_buf *out;
    size_t count_at;        /* where the count is patched in at the end */
    uint32_t count;
} cu_proplist;

/* Starts a list at the end of `out`. */
void cu_proplist_begin(cu_proplist *list, cu_buf *out);
/* `name` is ASCII: every property name clusupgrade writes is. */
void cu_proplist_dword(cu_proplist *list, const char *name, uint32_t value);
/* `value` is `units` UTF-16 code units, without NUL. */
void cu_proplist_sz(cu_proplist *list, const char *name,
                    const uint16_t *value, size_t units);
/* Writes the count. */
void cu_proplist_end(cu_proplist *list);

#endif /* CLUSUPGRADE_PROPLIST_WRITE_H */
