/* A test double for clusapi.dll, installed into the Wine prefix's system32
 * in place of Wine's builtin (which lacks ClusterUpgradeFunctionalLevel and
 * whose ClusterControl and node functions abort when called).
 *
 * Scripted per call from the environment variable CLUSUPGRADE_DOUBLE, a
 * list of key=value items separated by ';' (numbers in decimal):
 *
 *   the upgrade
 *     phases=1,2,3,4,5   the phases the callback gets, in order
 *     delay_ms=N         pause between two phases
 *     status=N           what ClusterUpgradeFunctionalLevel returns
 *     thread=foreign     call back from a CreateThread thread
 *     levelup=1          a performing call that succeeds (0 or 5975) raises
 *                        ClusterFunctionalLevel by one, so reads before and
 *                        after differ; the raise lasts until DoubleReset
 *   the cluster
 *     open_error=N       OpenCluster fails with N
 *     info=NAME,major,minor,build,highest,lowest,flags
 *                        what GetClusterInformation answers
 *     info_claim=N       GetClusterInformation's ERROR_MORE_DATA claims a
 *                        name of N characters, not the true length
 *     slow_ms=N          GetClusterInformation and ClusterControl wait N ms
 *                        first (a slow cluster, to interrupt a query)
 *   property lists (ClusterControl, ClusterNodeControl)
 *     level=N|-          ClusterFunctionalLevel (default 10; '-': absent)
 *     upgrade_version=N|- ClusterUpgradeVersion (default 3)
 *     upgrade_version_in=ro|rw  the list that carries ClusterUpgradeVersion:
 *                        the read-only common properties (default) or the
 *                        read-write ones (CLUSCTL_CLUSTER_GET_COMMON_
 *                        PROPERTIES), as Microsoft documents it read/write
 *     props_extra=N      adds a BINARY property of N bytes (a list longer
 *                        than the caller's first buffer)
 *     props_error=N      ClusterControl fails with N
 *     props_more_data=N  the first N controls (cluster or node) since
 *                        DoubleReset answer ERROR_MORE_DATA even when the
 *                        list fits (it "grew" between two calls)
 *     props_claim=N      ERROR_MORE_DATA claims N bytes, not the true size
 *     props_overstate=1  success claims more bytes than the caller's buffer
 *     malformed=KIND     every list is broken in one way: truncated,
 *                        length_past_end, count_too_big, unknown_syntax,
 *                        no_endmark, name_without_nul (see deform())
 *   nodes
 *     nodes=NAME:STATE:MAJOR.MINOR.BUILD:LEVEL[:UPGRADE],...
 *                        STATE up|down|paused|joining|unknown|a number;
 *                        version and LEVEL (highest supported) may be '-'
 *                        (not reported); UPGRADE is the upgrade version,
 *                        the low word of NodeHighest/LowestVersion (default
 *                        0); default HV1 and HV2, up, 2019 (10.3)
 *     node_fail=NAME:N   ClusterNodeControl on NAME fails with N
 *     node_open_fail=NAME:N  OpenClusterNode on NAME fails with N
 *     enum_open_fail=N   ClusterOpenEnum fails with N
 *     enum_fail=I:N      ClusterEnum fails with N at index I
 *     enum_endless=1     ClusterEnum never says ERROR_NO_MORE_ITEMS
 *
 * What happened is kept in a log that tests read, and clear, through the
 * extra export DoubleLog: "open=NAME|(local);perform=1;answers=110;tid=..;
 * closed=1;" and, for the reads, "info;", "control;", "props_more_data=N;",
 * "enum_open;", "enum_more_data;", "enum_close;", "node_open=NAME;",
 * "node_control=NAME;", "node_close=NAME;".  DoubleHandles reports every
 * handle opened and closed since the process started, per kind, so a test
 * can assert that nothing leaked: "cluster=O/C;enum=O/C;node=O/C;bad=N",
 * bad counting handles used after close, closed twice, or of another kind.
 * DoubleReset starts a new cluster: nothing raised, no control answered.
 *
 * Built with -DPLANTED it is the impostor a hijack would plant: every call
 * fails with PLANTED_STATUS, so loading it is visible. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define PLANTED_STATUS 4242
#define MAX_PHASES 4096
#define MAX_NODES 64
#define MAX_NAME 256
#define SCRIPT_BYTES 8192

/* The SDK's values (clusapi.h). */
#define CLUSCTL_CLUSTER_GET_RO_COMMON_PROPERTIES 0x07000055u
#define CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES 0x07000059u
#define CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES 0x04000055u
#define CLUSPROP_SYNTAX_ENDMARK 0x00000000u
#define CLUSPROP_SYNTAX_NAME 0x00040003u
#define CLUSPROP_SYNTAX_LIST_VALUE_BINARY 0x00010001u
#define CLUSPROP_SYNTAX_LIST_VALUE_DWORD 0x00010002u
#define CLUSPROP_SYNTAX_LIST_VALUE_SZ 0x00010003u
#define CLUSTER_ENUM_NODE 1u
/* No property has this syntax: an unknown type with the DWORD format. */
#define ODD_SYNTAX 0x7FFF0002u

typedef enum { PhaseAny = 0x7fffffff } PHASE;
typedef BOOL (WINAPI *progress_fn)(PVOID, PHASE);

typedef enum {
    WELL_FORMED, TRUNCATED, LENGTH_PAST_END, COUNT_TOO_BIG, UNKNOWN_SYNTAX,
    NO_ENDMARK, NAME_WITHOUT_NUL
} malformation;

static const char *const malformation_names[] = {
    "", "truncated", "length_past_end", "count_too_big", "unknown_syntax",
    "no_endmark", "name_without_nul",
};

typedef struct {
    char name[MAX_NAME];            /* UTF-8 */
    int state;
    int has_version;
    DWORD major, minor, build;
    int has_level;
    DWORD level;                    /* the highest it supports */
    DWORD upgrade;                  /* its upgrade version */
} node;

/* A failure scripted for one node: its name and the status. */
typedef struct {
    char name[MAX_NAME];
    DWORD status;
} node_failure;

typedef struct {
    char info[1024];
    DWORD info_claim;
    int phases[MAX_PHASES];
    int n_phases;
    DWORD delay_ms;
    DWORD status;
    DWORD open_error;
    int foreign;
    int levelup;
    DWORD raised;                   /* levels raised since DoubleReset */
    DWORD slow_ms;
    long level;                     /* -1: the property is absent */
    long upgrade_version;
    int upgrade_version_rw;         /* served in the read-write list */
    DWORD props_extra;
    DWORD props_error;
    DWORD props_more_data;
    DWORD props_claim;
    int props_overstate;
    malformation malformed;
    node nodes[MAX_NODES];
    int n_nodes;
    node_failure node_fail;
    node_failure node_open_fail;
    DWORD enum_open_fail;
    long enum_fail_index;           /* -1: none */
    DWORD enum_fail_status;
    int enum_endless;
} script;

typedef struct {
    script *s;
    progress_fn cb;
    PVOID arg;
    DWORD status;
} run;

/* ---- the log ---------------------------------------------------------- */

static CRITICAL_SECTION log_lock;
static char log_text[1 << 16];

static void
log_append(const char *text)
{
    EnterCriticalSection(&log_lock);
    if (strlen(log_text) + strlen(text) < sizeof(log_text)) {
        strcat(log_text, text);
    }
    LeaveCriticalSection(&log_lock);
}

static void
log_wide(const char *key, LPCWSTR value)
{
    char note[3 * MAX_NAME + 32];
    char utf8[3 * MAX_NAME];

    if (!WideCharToMultiByte(CP_UTF8, 0, value, -1, utf8, sizeof(utf8), NULL, NULL)) {
        strcpy(utf8, "?");
    }
    snprintf(note, sizeof(note), "%s=%s;", key, utf8);
    log_append(note);
}

/* ---- what lasts from one call to the next ------------------------------ */

/* What the double remembers as a cluster would: how far its level was
 * raised, and how many controls it answered.  DoubleReset starts a new
 * cluster (tests call it with every new script). */
static CRITICAL_SECTION state_lock;
static struct {
    DWORD raised;
    DWORD controls;
} state;

/* Handles are real objects so that a wrong, stale or twice-closed handle is
 * seen.  They are never freed: a use after close then reads a handle
 * marked closed instead of freed memory. */
enum { CLUSTER_HANDLE, ENUM_HANDLE, NODE_HANDLE, HANDLE_KINDS };
#define HANDLE_MAGIC 0x48444c42u

typedef struct {
    DWORD magic;
    int kind;
    int closed;
    WCHAR node[MAX_NAME];           /* a node handle's node */
} handle;

static LONG opened[HANDLE_KINDS], closed_[HANDLE_KINDS], bad_handles;

BOOL WINAPI
DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
    (void)dll;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) {
        InitializeCriticalSection(&log_lock);
        InitializeCriticalSection(&state_lock);
    }
    return TRUE;
}

static handle *
new_handle(int kind, LPCWSTR node_name)
{
    handle *h = calloc(1, sizeof(*h));

    if (h == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    h->magic = HANDLE_MAGIC;
    h->kind = kind;
    if (node_name) {
        lstrcpynW(h->node, node_name, MAX_NAME);
    }
    InterlockedIncrement(&opened[kind]);
    return h;
}

/* `raw` as an open handle of `kind`, or NULL (counted as bad). */
static handle *
use_handle(HANDLE raw, int kind)
{
    handle *h = raw;

    if (h == NULL || h->magic != HANDLE_MAGIC || h->kind != kind || h->closed) {
        InterlockedIncrement(&bad_handles);
        return NULL;
    }
    return h;
}

static BOOL
close_handle(HANDLE raw, int kind)
{
    handle *h = use_handle(raw, kind);

    if (h == NULL) {
        return FALSE;
    }
    h->closed = 1;
    InterlockedIncrement(&closed_[kind]);
    return TRUE;
}

/* ---- the script -------------------------------------------------------- */

static int
parse_state(const char *text)
{
    static const char *const names[] = {"up", "down", "paused", "joining"};
    int i;

    for (i = 0; i < 4; i++) {
        if (strcmp(text, names[i]) == 0) {
            return i;
        }
    }
    return strcmp(text, "unknown") == 0 ? -1 : (int)strtol(text, NULL, 10);
}

/* One node: NAME:STATE:MAJOR.MINOR.BUILD:LEVEL, trailing fields optional
 * (the text is cut up). */
static void
parse_node(char *text, node *n)
{
    const char *field[5] = {"", "up", "-", "-", "0"};
    char *p = text;
    int i;

    for (i = 0; i < 5 && p != NULL; i++) {
        char *colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
        }
        field[i] = p;
        p = colon ? colon + 1 : NULL;
    }
    memset(n, 0, sizeof(*n));
    lstrcpynA(n->name, field[0], sizeof(n->name));
    n->state = parse_state(field[1]);
    n->has_version = sscanf(field[2], "%lu.%lu.%lu", &n->major, &n->minor, &n->build) == 3;
    n->has_level = strcmp(field[3], "-") != 0;
    n->level = strtoul(field[3], NULL, 10);
    n->upgrade = strtoul(field[4], NULL, 10) & 0xFFFF;
}

static void
parse_nodes(char *text, script *s)
{
    char *item = text, *next;

    s->n_nodes = 0;
    while (*item && s->n_nodes < MAX_NODES) {
        next = strchr(item, ',');
        if (next) {
            *next++ = '\0';
        }
        parse_node(item, &s->nodes[s->n_nodes++]);
        item = next ? next : item + strlen(item);
    }
}

/* NAME:N into a failure. */
static void
parse_failure(const char *text, node_failure *f)
{
    const char *colon = strrchr(text, ':');

    if (colon == NULL) {
        return;
    }
    lstrcpynA(f->name, text, (int)(colon - text + 1 < MAX_NAME ? colon - text + 1 : MAX_NAME));
    f->status = strtoul(colon + 1, NULL, 10);
}

static long
number_or_absent(const char *text)
{
    return strcmp(text, "-") == 0 ? -1 : (long)strtoul(text, NULL, 10);
}

static void
parse_phases(const char *text, script *s)
{
    const char *p = text;
    char *end;

    s->n_phases = 0;
    while (*p && s->n_phases < MAX_PHASES) {
        s->phases[s->n_phases++] = (int)strtol(p, &end, 10);
        if (end == p) {
            break;
        }
        p = *end == ',' ? end + 1 : end;
    }
}

static void
parse_item(char *item, script *s)
{
    char *value = strchr(item, '=');
    int i;

    if (value == NULL) {
        return;
    }
    *value++ = '\0';
#define IS(key) (strcmp(item, key) == 0)
    if (IS("phases")) parse_phases(value, s);
    else if (IS("delay_ms")) s->delay_ms = strtoul(value, NULL, 10);
    else if (IS("status")) s->status = strtoul(value, NULL, 10);
    else if (IS("open_error")) s->open_error = strtoul(value, NULL, 10);
    else if (IS("info")) lstrcpynA(s->info, value, sizeof(s->info));
    else if (IS("info_claim")) s->info_claim = strtoul(value, NULL, 10);
    else if (IS("thread")) s->foreign = strcmp(value, "foreign") == 0;
    else if (IS("levelup")) s->levelup = atoi(value);
    else if (IS("slow_ms")) s->slow_ms = strtoul(value, NULL, 10);
    else if (IS("level")) s->level = number_or_absent(value);
    else if (IS("upgrade_version")) s->upgrade_version = number_or_absent(value);
    else if (IS("upgrade_version_in")) s->upgrade_version_rw = strcmp(value, "rw") == 0;
    else if (IS("props_extra")) s->props_extra = strtoul(value, NULL, 10);
    else if (IS("props_error")) s->props_error = strtoul(value, NULL, 10);
    else if (IS("props_more_data")) s->props_more_data = strtoul(value, NULL, 10);
    else if (IS("props_claim")) s->props_claim = strtoul(value, NULL, 10);
    else if (IS("props_overstate")) s->props_overstate = atoi(value);
    else if (IS("nodes")) parse_nodes(value, s);
    else if (IS("node_fail")) parse_failure(value, &s->node_fail);
    else if (IS("node_open_fail")) parse_failure(value, &s->node_open_fail);
    else if (IS("enum_open_fail")) s->enum_open_fail = strtoul(value, NULL, 10);
    else if (IS("enum_endless")) s->enum_endless = atoi(value);
    else if (IS("enum_fail")) {
        s->enum_fail_index = strtol(value, &value, 10);
        s->enum_fail_status = *value == ':' ? strtoul(value + 1, NULL, 10) : 0;
    } else if (IS("malformed")) {
        for (i = 1; i < (int)(sizeof(malformation_names) / sizeof(*malformation_names)); i++) {
            if (strcmp(value, malformation_names[i]) == 0) {
                s->malformed = (malformation)i;
            }
        }
    }
#undef IS
}

static void
default_script(script *s)
{
    static const int phases[] = {1, 2, 3, 4, 5};
    char nodes[] = "HV1:up:10.0.17763:10:3,HV2:up:10.0.17763:10:3";

    memset(s, 0, sizeof(*s));
    for (s->n_phases = 0; s->n_phases < 5; s->n_phases++) {
        s->phases[s->n_phases] = phases[s->n_phases];
    }
    s->level = 10;
    s->upgrade_version = 3;
    s->enum_fail_index = -1;
    parse_nodes(nodes, s);
}

static void
read_script(script *s)
{
    WCHAR wide[SCRIPT_BYTES];
    char text[SCRIPT_BYTES];
    char *item, *save = NULL;
    DWORD n = GetEnvironmentVariableW(L"CLUSUPGRADE_DOUBLE", wide, SCRIPT_BYTES);

    default_script(s);
    text[0] = '\0';
    /* UTF-8, so that node and cluster names keep every character. */
    if (n > 0 && n < SCRIPT_BYTES
        && !WideCharToMultiByte(CP_UTF8, 0, wide, -1, text, sizeof(text), NULL, NULL)) {
        text[0] = '\0';
    }
    EnterCriticalSection(&state_lock);
    s->raised = state.raised;
    LeaveCriticalSection(&state_lock);
    for (item = strtok_r(text, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        parse_item(item, s);
    }
}

static const node *
find_node(const script *s, LPCWSTR name)
{
    WCHAR wide[MAX_NAME];
    int i;

    for (i = 0; i < s->n_nodes; i++) {
        if (MultiByteToWideChar(CP_UTF8, 0, s->nodes[i].name, -1, wide, MAX_NAME)
            && _wcsicmp(wide, name) == 0) {
            return &s->nodes[i];
        }
    }
    return NULL;
}

/* Whether the failure is scripted for node `name`. */
static BOOL
fails(const node_failure *f, LPCWSTR name)
{
    WCHAR wide[MAX_NAME];

    return f->status != 0
        && MultiByteToWideChar(CP_UTF8, 0, f->name, -1, wide, MAX_NAME)
        && _wcsicmp(wide, name) == 0;
}

/* ---- property lists ---------------------------------------------------- */

/* A property list as a server builds it (MS-CMRP 2.2.3.10): a count, then
 * per property a NAME entry, one value entry and an ENDMARK, every entry
 * padded to 4 bytes.  The offsets of the first property's parts are kept so
 * that deform() can break it where a parser must notice. */
typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed;
    DWORD count;
    size_t first_name_nul;          /* the NUL of the first name */
    size_t first_value;             /* the first value entry's syntax */
    size_t first_endmark;
} plist;

static void
put(plist *l, const void *bytes, size_t n)
{
    if (l->failed) {
        return;
    }
    if (l->len + n > l->cap) {
        size_t cap = (l->len + n) * 2;
        unsigned char *grown = realloc(l->data, cap);
        if (grown == NULL) {
            l->failed = 1;
            return;
        }
        l->data = grown;
        l->cap = cap;
    }
    memcpy(l->data + l->len, bytes, n);
    l->len += n;
}

static void
put_u32(plist *l, DWORD value)
{
    put(l, &value, sizeof(value));
}

static void
patch_u32(plist *l, size_t at, DWORD value)
{
    if (!l->failed && at + sizeof(value) <= l->len) {
        memcpy(l->data + at, &value, sizeof(value));
    }
}

/* An entry: syntax, length, the bytes, zeros to 4. */
static void
put_entry(plist *l, DWORD syntax, const void *bytes, DWORD n)
{
    static const char zeros[4] = {0};

    put_u32(l, syntax);
    put_u32(l, n);
    put(l, bytes, n);
    put(l, zeros, (4 - n % 4) % 4);
}

static void
plist_begin(plist *l)
{
    memset(l, 0, sizeof(*l));
    put_u32(l, 0);                  /* the count, patched as properties come */
}

static void
put_property(plist *l, LPCWSTR name, DWORD syntax, const void *value, DWORD n)
{
    DWORD name_bytes = (DWORD)((wcslen(name) + 1) * sizeof(WCHAR));

    if (l->count == 0) {
        l->first_name_nul = l->len + 8 + name_bytes - sizeof(WCHAR);
    }
    put_entry(l, CLUSPROP_SYNTAX_NAME, name, name_bytes);
    if (l->count == 0) {
        l->first_value = l->len;
    }
    put_entry(l, syntax, value, n);
    if (l->count == 0) {
        l->first_endmark = l->len;
    }
    put_u32(l, CLUSPROP_SYNTAX_ENDMARK);
    patch_u32(l, 0, ++l->count);
}

static void
put_dword(plist *l, LPCWSTR name, DWORD value)
{
    put_property(l, name, CLUSPROP_SYNTAX_LIST_VALUE_DWORD, &value, sizeof(value));
}

static void
put_sz(plist *l, LPCWSTR name, LPCWSTR value)
{
    put_property(l, name, CLUSPROP_SYNTAX_LIST_VALUE_SZ, value,
                 (DWORD)((wcslen(value) + 1) * sizeof(WCHAR)));
}

/* Breaks the list the way `how` names; each touches the first property,
 * so a parser that survives it must report that property absent. */
static void
deform(plist *l, malformation how)
{
    static const WCHAR not_nul = L'X';

    if (l->failed || l->count == 0) {
        return;
    }
    switch (how) {
    case TRUNCATED:             /* cut in the middle */
        l->len /= 2;
        break;
    case LENGTH_PAST_END:       /* a value claims far more than is there */
        patch_u32(l, l->first_value + 4, 0xFFFFFF00u);
        break;
    case COUNT_TOO_BIG:
        patch_u32(l, 0, 1000000u);
        break;
    case UNKNOWN_SYNTAX:
        patch_u32(l, l->first_value, ODD_SYNTAX);
        break;
    case NO_ENDMARK:            /* the first property's ENDMARK left out */
        memmove(l->data + l->first_endmark, l->data + l->first_endmark + 4,
                l->len - l->first_endmark - 4);
        l->len -= 4;
        break;
    case NAME_WITHOUT_NUL:      /* the length still counts the NUL */
        memcpy(l->data + l->first_name_nul, &not_nul, sizeof(not_nul));
        break;
    case WELL_FORMED:
        break;
    }
}

static void
cluster_list(const script *s, plist *l)
{
    plist_begin(l);
    if (s->level >= 0) {
        put_dword(l, L"ClusterFunctionalLevel", (DWORD)s->level + s->raised);
    }
    put_sz(l, L"SharedVolumesRoot", L"C:\\ClusterStorage");
    if (s->upgrade_version >= 0 && !s->upgrade_version_rw) {
        put_dword(l, L"ClusterUpgradeVersion", (DWORD)s->upgrade_version);
    }
    if (s->props_extra > 0) {
        unsigned char *filler = malloc(s->props_extra);
        if (filler == NULL) {
            l->failed = 1;
            return;
        }
        memset(filler, 0xAB, s->props_extra);
        put_property(l, L"DoubleFiller", CLUSPROP_SYNTAX_LIST_VALUE_BINARY,
                     filler, s->props_extra);
        free(filler);
    }
    deform(l, s->malformed);
}

/* The cluster's read-write common properties: a description, and
 * ClusterUpgradeVersion when the script puts it here. */
static void
cluster_rw_list(const script *s, plist *l)
{
    plist_begin(l);
    put_sz(l, L"Description", L"test double");
    if (s->upgrade_version >= 0 && s->upgrade_version_rw) {
        put_dword(l, L"ClusterUpgradeVersion", (DWORD)s->upgrade_version);
    }
    deform(l, s->malformed);
}

/* A node's versions, as Windows reports them: since Windows Server 2016 a
 * cluster version is (major << 16) | upgrade version (not the OS build),
 * and a node can join a cluster one level below its highest. */
static void
node_list(const script *s, const node *n, plist *l)
{
    plist_begin(l);
    if (n->has_version) {
        put_dword(l, L"MajorVersion", n->major);
        put_dword(l, L"MinorVersion", n->minor);
        put_dword(l, L"BuildNumber", n->build);
    }
    put_sz(l, L"CSDVersion", L"");
    if (n->has_level) {
        put_dword(l, L"NodeHighestVersion", (n->level << 16) | n->upgrade);
        put_dword(l, L"NodeLowestVersion", ((n->level - 1) << 16) | n->upgrade);
    }
    deform(l, s->malformed);
}

/* Whether this control must answer ERROR_MORE_DATA although the list fits:
 * the first props_more_data controls under a script do. */
static BOOL
more_data_forced(const script *s)
{
    BOOL forced;

    EnterCriticalSection(&state_lock);
    forced = state.controls < s->props_more_data;
    state.controls++;
    LeaveCriticalSection(&state_lock);
    return forced;
}

/* Answers a control as clusapi.dll does: the list when it fits, else
 * ERROR_MORE_DATA with the size it needs.  Frees the list. */
static DWORD
answer(const script *s, plist *l, LPVOID out, DWORD out_size, LPDWORD returned)
{
    DWORD status = 0;
    char note[64];

    if (returned == NULL) {
        status = ERROR_INVALID_PARAMETER;
    } else if (l->failed) {
        status = ERROR_NOT_ENOUGH_MEMORY;
    } else if (more_data_forced(s) || out == NULL || out_size < l->len) {
        *returned = s->props_claim ? s->props_claim : (DWORD)l->len;
        snprintf(note, sizeof(note), "props_more_data=%lu;", *returned);
        log_append(note);
        status = ERROR_MORE_DATA;
    } else {
        memcpy(out, l->data, l->len);
        *returned = s->props_overstate ? out_size + 64 : (DWORD)l->len;
    }
    free(l->data);
    return status;
}

/* ---- the cluster ------------------------------------------------------- */

static DWORD
play(run *r)
{
    char note[64];
    int i;

    log_append("answers=");
    for (i = 0; i < r->s->n_phases; i++) {
        BOOL answer_;
        if (i > 0 && r->s->delay_ms) {
            Sleep(r->s->delay_ms);
        }
        answer_ = r->cb(r->arg, (PHASE)r->s->phases[i]);
        log_append(answer_ ? "1" : "0");
        if (!answer_) {
            log_append(";");
            return ERROR_CANCELLED;
        }
    }
    snprintf(note, sizeof(note), ";tid=%lu;", GetCurrentThreadId());
    log_append(note);
    return r->s->status;
}

static DWORD WINAPI
play_thread(LPVOID raw)
{
    run *r = raw;
    r->status = play(r);
    return 0;
}

__declspec(dllexport) HANDLE WINAPI
OpenCluster(LPCWSTR name)
{
    script s;

    read_script(&s);
#ifdef PLANTED
    SetLastError(PLANTED_STATUS);
    return NULL;
#endif
    log_wide("open", name ? name : L"(local)");
    if (s.open_error) {
        SetLastError(s.open_error);
        return NULL;
    }
    return new_handle(CLUSTER_HANDLE, NULL);
}

__declspec(dllexport) BOOL WINAPI
CloseCluster(HANDLE cluster)
{
    BOOL ok = close_handle(cluster, CLUSTER_HANDLE);

    log_append("closed=1;");
    return ok;
}

/* What a performing call that succeeded does to the cluster. */
static void
raise_level(const script *s, BOOL perform, DWORD status)
{
    if (perform && s->levelup && (status == 0 || status == 5975)) {
        EnterCriticalSection(&state_lock);
        state.raised++;
        LeaveCriticalSection(&state_lock);
    }
}

static DWORD
upgrade(script *s, progress_fn cb, PVOID arg)
{
    run r = {s, cb, arg, 0};
    HANDLE t;

    if (cb == NULL) {
        return s->status;
    }
    if (!s->foreign) {
        return play(&r);
    }
    t = CreateThread(NULL, 0, play_thread, &r, 0, NULL);
    if (t == NULL) {
        return GetLastError();
    }
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    return r.status;
}

__declspec(dllexport) DWORD WINAPI
ClusterUpgradeFunctionalLevel(HANDLE cluster, BOOL perform, progress_fn cb, PVOID arg)
{
    script s;
    char note[32];
    DWORD status;

#ifdef PLANTED
    return PLANTED_STATUS;
#endif
    read_script(&s);
    snprintf(note, sizeof(note), "perform=%d;", perform ? 1 : 0);
    log_append(note);
    if (use_handle(cluster, CLUSTER_HANDLE) == NULL) {
        return ERROR_INVALID_HANDLE;
    }
    status = upgrade(&s, cb, arg);
    raise_level(&s, perform, status);
    return status;
}

typedef struct {
    DWORD dwVersionInfoSize;
    WORD MajorVersion, MinorVersion, BuildNumber;
    WCHAR szVendorId[64], szCSDVersion[64];
    DWORD dwClusterHighestVersion, dwClusterLowestVersion, dwFlags, dwReserved;
} VERSIONINFO_;

__declspec(dllexport) DWORD WINAPI
GetClusterInformation(HANDLE cluster, LPWSTR name, LPDWORD chars, VERSIONINFO_ *info)
{
    script s;
    char text[1024], *field, *save = NULL;
    unsigned long v[6] = {10, 0, 17763, 0, 0, 0};
    WCHAR wide[512];
    DWORD len;
    int i;

    read_script(&s);
    lstrcpynA(text, s.info[0] ? s.info : "DOUBLE,10,0,17763,720896,655360,1", sizeof(text));
    field = strtok_r(text, ",", &save);
    len = (DWORD)MultiByteToWideChar(CP_UTF8, 0, field ? field : "", -1, wide, 512);
    len = len ? len - 1 : 0;
    for (i = 0; i < 6 && (field = strtok_r(NULL, ",", &save)) != NULL; i++) {
        v[i] = strtoul(field, NULL, 10);
    }
    log_append("info;");
    if (use_handle(cluster, CLUSTER_HANDLE) == NULL) {
        return ERROR_INVALID_HANDLE;
    }
    if (s.slow_ms) {
        Sleep(s.slow_ms);
    }
    if (info == NULL || chars == NULL || info->dwVersionInfoSize < sizeof(*info)) {
        return ERROR_INVALID_PARAMETER;
    }
    if (*chars <= len) {
        *chars = s.info_claim ? s.info_claim : len;
        log_append("more_data;");
        return ERROR_MORE_DATA;
    }
    memcpy(name, wide, (len + 1) * sizeof(WCHAR));
    *chars = len;
    info->MajorVersion = (WORD)v[0];
    info->MinorVersion = (WORD)v[1];
    info->BuildNumber = (WORD)v[2];
    info->dwClusterHighestVersion = v[3];
    info->dwClusterLowestVersion = v[4];
    info->dwFlags = v[5];
    return 0;
}

__declspec(dllexport) DWORD WINAPI
ClusterControl(HANDLE cluster, HANDLE host, DWORD code, LPVOID in, DWORD in_size,
               LPVOID out, DWORD out_size, LPDWORD returned)
{
    script s;
    plist l;

    (void)host;
    (void)in;
    (void)in_size;
#ifdef PLANTED
    return PLANTED_STATUS;
#endif
    read_script(&s);
    log_append("control;");
    if (use_handle(cluster, CLUSTER_HANDLE) == NULL) {
        return ERROR_INVALID_HANDLE;
    }
    if (s.slow_ms) {
        Sleep(s.slow_ms);
    }
    if (code != CLUSCTL_CLUSTER_GET_RO_COMMON_PROPERTIES
        && code != CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES) {
        return ERROR_INVALID_FUNCTION;
    }
    if (s.props_error) {
        return s.props_error;
    }
    if (code == CLUSCTL_CLUSTER_GET_COMMON_PROPERTIES) {
        log_append("rw;");
        cluster_rw_list(&s, &l);
    } else {
        cluster_list(&s, &l);
    }
    return answer(&s, &l, out, out_size, returned);
}

/* ---- nodes ------------------------------------------------------------- */

__declspec(dllexport) HANDLE WINAPI
ClusterOpenEnum(HANDLE cluster, DWORD type)
{
    script s;

    read_script(&s);
    log_append("enum_open;");
    if (use_handle(cluster, CLUSTER_HANDLE) == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    /* Only nodes are scripted; the caller asks for nothing else. */
    if (type != CLUSTER_ENUM_NODE) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (s.enum_open_fail) {
        SetLastError(s.enum_open_fail);
        return NULL;
    }
    return new_handle(ENUM_HANDLE, NULL);
}

__declspec(dllexport) DWORD WINAPI
ClusterEnum(HANDLE enumeration, DWORD index, LPDWORD type, LPWSTR name, LPDWORD chars)
{
    script s;
    WCHAR wide[MAX_NAME];
    DWORD len;

    read_script(&s);
    if (use_handle(enumeration, ENUM_HANDLE) == NULL) {
        return ERROR_INVALID_HANDLE;
    }
    if (type == NULL || chars == NULL) {
        return ERROR_INVALID_PARAMETER;
    }
    if ((long)index == s.enum_fail_index) {
        return s.enum_fail_status;
    }
    if (s.enum_endless) {
        swprintf(wide, MAX_NAME, L"N%lu", index);
    } else if (index >= (DWORD)s.n_nodes) {
        return ERROR_NO_MORE_ITEMS;
    } else if (!MultiByteToWideChar(CP_UTF8, 0, s.nodes[index].name, -1, wide, MAX_NAME)) {
        return GetLastError();
    }
    len = (DWORD)wcslen(wide);
    /* As Windows: *chars counts the buffer with its NUL on the way in, the
     * name without it on the way out. */
    if (name == NULL || *chars <= len) {
        *chars = len;
        log_append("enum_more_data;");
        return ERROR_MORE_DATA;
    }
    memcpy(name, wide, (len + 1) * sizeof(WCHAR));
    *chars = len;
    *type = CLUSTER_ENUM_NODE;
    return 0;
}

__declspec(dllexport) DWORD WINAPI
ClusterCloseEnum(HANDLE enumeration)
{
    log_append("enum_close;");
    return close_handle(enumeration, ENUM_HANDLE) ? 0 : ERROR_INVALID_HANDLE;
}

__declspec(dllexport) HANDLE WINAPI
OpenClusterNode(HANDLE cluster, LPCWSTR name)
{
    script s;

    read_script(&s);
    log_wide("node_open", name ? name : L"(null)");
    if (use_handle(cluster, CLUSTER_HANDLE) == NULL || name == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    if (find_node(&s, name) == NULL) {
        SetLastError(ERROR_CLUSTER_NODE_NOT_FOUND);
        return NULL;
    }
    if (fails(&s.node_open_fail, name)) {
        SetLastError(s.node_open_fail.status);
        return NULL;
    }
    return new_handle(NODE_HANDLE, name);
}

__declspec(dllexport) int WINAPI
GetClusterNodeState(HANDLE raw)
{
    script s;
    handle *h = use_handle(raw, NODE_HANDLE);
    const node *n;

    read_script(&s);
    if (h == NULL) {
        SetLastError(ERROR_INVALID_HANDLE);
        return -1;
    }
    n = find_node(&s, h->node);
    return n ? n->state : -1;
}

__declspec(dllexport) DWORD WINAPI
ClusterNodeControl(HANDLE raw, HANDLE host, DWORD code, LPVOID in, DWORD in_size,
                   LPVOID out, DWORD out_size, LPDWORD returned)
{
    script s;
    handle *h = use_handle(raw, NODE_HANDLE);
    const node *n;
    plist l;

    (void)host;
    (void)in;
    (void)in_size;
    read_script(&s);
    if (h == NULL) {
        return ERROR_INVALID_HANDLE;
    }
    log_wide("node_control", h->node);
    if (code != CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES) {
        return ERROR_INVALID_FUNCTION;
    }
    if (fails(&s.node_fail, h->node)) {
        return s.node_fail.status;
    }
    n = find_node(&s, h->node);
    if (n == NULL) {
        return ERROR_CLUSTER_NODE_NOT_FOUND;
    }
    node_list(&s, n, &l);
    return answer(&s, &l, out, out_size, returned);
}

__declspec(dllexport) BOOL WINAPI
CloseClusterNode(HANDLE raw)
{
    handle *h = use_handle(raw, NODE_HANDLE);

    if (h == NULL) {
        return FALSE;
    }
    log_wide("node_close", h->node);
    return close_handle(raw, NODE_HANDLE);
}

/* ---- for tests --------------------------------------------------------- */

/* Copies the log into buf (at most size bytes) and clears it. */
__declspec(dllexport) DWORD WINAPI
DoubleLog(char *buf, DWORD size)
{
    DWORD n;
    EnterCriticalSection(&log_lock);
    n = (DWORD)strlen(log_text);
    if (buf && size) {
        lstrcpynA(buf, log_text, (int)size);
    }
    log_text[0] = 0;
    LeaveCriticalSection(&log_lock);
    return n;
}

/* "cluster=O/C;enum=O/C;node=O/C;bad=N": handles opened and closed since
 * the process started. */
__declspec(dllexport) DWORD WINAPI
DoubleHandles(char *buf, DWORD size)
{
    return (DWORD)snprintf(buf, size, "cluster=%ld/%ld;enum=%ld/%ld;node=%ld/%ld;bad=%ld",
                           opened[CLUSTER_HANDLE], closed_[CLUSTER_HANDLE],
                           opened[ENUM_HANDLE], closed_[ENUM_HANDLE],
                           opened[NODE_HANDLE], closed_[NODE_HANDLE], bad_handles);
}

/* A new cluster: nothing raised, no control answered.  The log is left to
 * DoubleLog, so a test can script a second call and still read the first. */
__declspec(dllexport) void WINAPI
DoubleReset(void)
{
    EnterCriticalSection(&state_lock);
    state.raised = 0;
    state.controls = 0;
    LeaveCriticalSection(&state_lock);
}
