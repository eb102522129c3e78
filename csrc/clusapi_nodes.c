/* The cluster's nodes, as Get-ClusterNode shows them (clusapi_win.h):
 * the enumeration gives the names (ClusterOpenEnum, ClusterEnum,
 * ClusterCloseEnum), then each node is opened on its own for its state
 * (GetClusterNodeState) and its read-only common properties
 * (ClusterNodeControl), which carry its Windows version and the highest
 * cluster version it supports.
 *
 * The names are collected first and the enumeration closed before any node
 * is opened: a node list is only worth reporting whole, since a node the
 * list left out could be the one that is down. */
#include "clusapi_win.h"

#include <wchar.h>

#define CLUSTER_ENUM_NODE 0x00000001u
#define CLUSTER_NODE_STATE_UNKNOWN (-1)

/* A failover cluster has at most 64 nodes.  An enumeration that goes on
 * far past that is a broken or hostile server; it is stopped, not
 * followed. */
#define MAX_NODES 1024u

/* Node names are NetBIOS names (15 characters) or DNS names (at most 255):
 * the first buffer fits most, and growth stops at a length no name has. */
#define FIRST_NAME_CHARS 64u
#define MAX_NAME_CHARS 4096u

typedef HCLUSENUM (WINAPI *open_enum_fn)(HCLUSTER cluster, DWORD type);
typedef DWORD (WINAPI *enum_fn)(HCLUSENUM handle, DWORD index, LPDWORD type,
                                LPWSTR name, LPDWORD name_chars);
typedef DWORD (WINAPI *close_enum_fn)(HCLUSENUM handle);
typedef HNODE (WINAPI *open_node_fn)(HCLUSTER cluster, LPCWSTR name);
/* Returns CLUSTER_NODE_STATE, an enum: -1 (unknown, also on failure) and
 * 0..3 are documented, and any other value is passed on as it came. */
typedef int (WINAPI *node_state_fn)(HNODE node);
typedef BOOL (WINAPI *close_node_fn)(HNODE node);

/* The names the enumeration gave, one after another, each with its NUL:
 * one allocation however many nodes there are. */
typedef struct name_list {
    cu_buf text;
    uint32_t count;
} name_list;

/* What was learnt about one node. */
typedef struct node_facts {
    int32_t state;
    DWORD props_status;
    cu_buf props;           /* the raw property list when props_status is 0 */
} node_facts;

/* Appends the name ClusterEnum wrote at `at` (`chars` characters, in a
 * buffer of `capacity`) to the list. */
static DWORD
keep_name(name_list *names, wchar_t *at, DWORD chars, DWORD capacity)
{
    size_t length;

    /* No room left for the NUL means the count is not the name's length. */
    if (chars >= capacity) {
        return ERROR_INVALID_DATA;
    }
    /* A NUL inside the name ends it, as it does for OpenClusterNode. */
    length = wcsnlen(at, chars);
    at[length] = L'\0';
    cu_buf_commit(&names->text, (length + 1) * sizeof(wchar_t));
    names->count++;
    return 0;
}

/* ClusterEnum for entry `index`, growing the name buffer on
 * ERROR_MORE_DATA: 0 with the name appended, ERROR_NO_MORE_ITEMS past the
 * last node, or why it failed. */
static DWORD
enum_name(enum_fn next, HCLUSENUM handle, DWORD index, name_list *names)
{
    DWORD capacity = FIRST_NAME_CHARS;
    DWORD status = ERROR_MORE_DATA;
    int round;

    for (round = 0; round < CU_CLUSAPI_ROUNDS && status == ERROR_MORE_DATA;
         round++) {
        DWORD type = 0;
        DWORD chars = capacity;
        wchar_t *at = (wchar_t *)cu_buf_reserve(&names->text,
                                                capacity * sizeof(wchar_t));

        if (at == NULL) {
            return CU_ERROR_NOT_ENOUGH_MEMORY;
        }
        status = next(handle, index, &type, at, &chars);
        if (status == 0) {
            status = keep_name(names, at, chars, capacity);
        } else if (status == ERROR_MORE_DATA) {
            /* `chars` is now the length the name needs, without its NUL. */
            if (chars >= MAX_NAME_CHARS) {
                break;
            }
            capacity = chars + 1 > capacity ? chars + 1 : capacity * 2;
        }
    }
    return status;
}

/* Every node's name into `names`: 0, or why the list is unknown. */
static DWORD
enumerate(void *cluster, name_list *names)
{
    open_enum_fn open_enum = CU_API(open_enum_fn, CU_EXPORT_OPEN_ENUM);
    enum_fn next = CU_API(enum_fn, CU_EXPORT_ENUM);
    close_enum_fn close_enum = CU_API(close_enum_fn, CU_EXPORT_CLOSE_ENUM);
    HCLUSENUM handle;
    DWORD status = 0;
    DWORD index;

    if (open_enum == NULL || next == NULL || close_enum == NULL) {
        return CU_ERROR_PROC_NOT_FOUND;
    }
    handle = open_enum((HCLUSTER)cluster, CLUSTER_ENUM_NODE);
    if (handle == NULL) {
        return cu_clusapi_failure();
    }
    for (index = 0; status == 0; index++) {
        status = index < MAX_NODES ? enum_name(next, handle, index, names)
                                   : ERROR_INVALID_DATA;
    }
    (void)close_enum(handle);
    return status == ERROR_NO_MORE_ITEMS ? 0 : status;
}

/* Opens node `name` for its state and properties, and closes it.  What
 * cannot be read stays unknown: state -1, and props_status says why. */
static void
read_node(void *cluster, const wchar_t *name, node_facts *facts)
{
    open_node_fn open_node = CU_API(open_node_fn, CU_EXPORT_OPEN_NODE);
    close_node_fn close_node = CU_API(close_node_fn, CU_EXPORT_CLOSE_NODE);
    node_state_fn state = CU_API(node_state_fn, CU_EXPORT_NODE_STATE);
    cu_control_fn control = CU_API(cu_control_fn, CU_EXPORT_NODE_CONTROL);
    HNODE node;

    facts->state = CLUSTER_NODE_STATE_UNKNOWN;
    facts->props_status = CU_ERROR_PROC_NOT_FOUND;
    cu_buf_init(&facts->props);
    /* Without both there is no handle to ask with, or none to give back. */
    if (open_node == NULL || close_node == NULL) {
        return;
    }
    node = open_node((HCLUSTER)cluster, name);
    if (node == NULL) {
        facts->props_status = cu_clusapi_failure();
        return;
    }
    if (state != NULL) {
        facts->state = (int32_t)state(node);
    }
    if (control != NULL) {
        facts->props_status = cu_clusapi_control_read(
            control, node, CU_CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES,
            &facts->props);
    }
    (void)close_node(node);
}

/* One NODE section: `i32 state, u32 props_status, u32 name_bytes`, the
 * name in UTF-16LE, padding to 4, then the raw property list. */
static void
put_node(void *cluster, const wchar_t *name, cu_buf *out)
{
    size_t name_bytes = wcslen(name) * sizeof(wchar_t);
    node_facts facts;
    size_t head;

    read_node(cluster, name, &facts);
    head = cu_buf_section_begin(out, CU_SECTION_NODE, 0);
    cu_buf_u32(out, (uint32_t)facts.state);
    cu_buf_u32(out, facts.props_status);
    cu_buf_u32(out, (uint32_t)name_bytes);
    cu_buf_append(out, name, name_bytes);
    cu_buf_pad4(out);       /* the section's data starts 4-aligned */
    cu_buf_append(out, facts.props.data, facts.props.len);
    cu_buf_section_end(out, head);
    cu_buf_free(&facts.props);
}

void
cu_clusapi_nodes(void *cluster, cu_buf *out)
{
    name_list names;
    const wchar_t *name;
    DWORD status;
    size_t head;
    uint32_t i;

    cu_buf_init(&names.text);
    names.count = 0;
    status = enumerate(cluster, &names);
    if (status != 0) {
        cu_buf_section_absent(out, CU_SECTION_NODES, status);
        goto done;
    }
    head = cu_buf_section_begin(out, CU_SECTION_NODES, 0);
    cu_buf_u32(out, names.count);
    cu_buf_section_end(out, head);
    name = (const wchar_t *)names.text.data;
    for (i = 0; i < names.count; i++) {
        put_node(cluster, name, out);
        name += wcslen(name) + 1;
    }
done:
    cu_buf_free(&names.text);
}
