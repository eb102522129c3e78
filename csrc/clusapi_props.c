/* Property lists read with ClusterControl and ClusterNodeControl
 * (clusapi_win.h).
 *
 * The caller cannot know a list's size: the control answers
 * ERROR_MORE_DATA with the size it needs, and is asked again with a buffer
 * that large.  The list is written straight into the payload and passed on
 * as the server sent it; the Python layer parses it (proplist.py), because
 * that is the one place that has to survive whatever bytes arrive. */
#include "clusapi_win.h"

/* A cluster's read-only common properties take one or two kilobytes, a
 * node's a few hundred bytes: most reads fit the first buffer. */
#define FIRST_SIZE 1024u

/* Far beyond any property list a cluster has a reason to send.  A server
 * that asks for more is broken or hostile, and is refused rather than given
 * the memory (the whole payload, every node included, is capped at 64 MiB
 * by buf.c). */
#define MAX_SIZE (256u * 1024u)

/* The buffer size to try after ERROR_MORE_DATA from a call with `size`
 * bytes, or 0 when the answer is past MAX_SIZE.  A control that says "more"
 * but names no larger size still gets a larger buffer, so every round makes
 * progress. */
static DWORD
next_size(DWORD size, DWORD needed)
{
    DWORD next = needed > size ? needed : size * 2;

    return next <= MAX_SIZE ? next : 0;
}

DWORD
cu_clusapi_control_read(cu_control_fn control, void *object, DWORD code,
                        cu_buf *into)
{
    DWORD size = FIRST_SIZE;
    DWORD status = ERROR_MORE_DATA;
    int round;

    for (round = 0; round < CU_CLUSAPI_ROUNDS && size != 0
                    && status == ERROR_MORE_DATA; round++) {
        DWORD returned = 0;
        unsigned char *at = cu_buf_reserve(into, size);

        if (at == NULL) {
            status = CU_ERROR_NOT_ENOUGH_MEMORY;
            break;
        }
        status = control(object, NULL, code, NULL, 0, at, size, &returned);
        if (status == ERROR_MORE_DATA) {
            size = next_size(size, returned);
        } else if (status == 0 && returned > size) {
            /* Taking the count on trust would read past the buffer. */
            status = ERROR_INVALID_DATA;
        } else if (status == 0) {
            cu_buf_commit(into, returned);
        }
    }
    return status;
}

void
cu_clusapi_cluster_props(void *cluster, uint32_t id, cu_buf *out)
{
    cu_control_fn control = CU_API(cu_control_fn, CU_EXPORT_CLUSTER_CONTROL);
    size_t head = cu_buf_section_begin(out, id, 0);
    DWORD status = CU_ERROR_PROC_NOT_FOUND;
    /* ClusterFunctionalLevel is read-only; ClusterUpgradeVersion is
     * documented as read/write, so it may come in the other list. */
    DWORD code = id == CU_SECTION_CLUSTER_PROPS_RW
        ? CU_CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES
        : CU_CLUSCTL_CLUSTER_GET_RO_COMMON_PROPERTIES;

    /* Optional for every kind of call: without it the level is unknown,
     * which the section's status says. */
    if (control != NULL) {
        status = cu_clusapi_control_read(control, cluster, code, out);
    }
    cu_buf_section_status(out, head, status);
    cu_buf_section_end(out, head);
}
