/* LD_PRELOAD allocator fault injector for tests/test_native_edges.py.
 *
 * Fails only allocations whose immediate caller is inside a chosen shared
 * object (the extension), so the interpreter itself keeps working.
 * Python arms it through ctypes:
 *   failmalloc_arm(path_substring, skip, count): after the call, the next
 *   `skip` allocations made from that object succeed, then `count` fail.
 *   failmalloc_arm_size(path_substring, size, skip, count): the same, counting
 *   only malloc(size) calls.
 *   failmalloc_calls(): allocations seen from the object since arming. */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static uintptr_t lo, hi;
static volatile long only_size = -1;   /* >= 0: count only malloc(only_size) */
static volatile long skip_left, fail_left, calls;
static const char *want;

static int
find(struct dl_phdr_info *info, size_t size, void *data)
{
    int i;
    (void)size; (void)data;
    if (info->dlpi_name == NULL || strstr(info->dlpi_name, want) == NULL)
        return 0;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            lo = info->dlpi_addr + ph->p_vaddr;
            hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

int
failmalloc_arm(const char *name, long skip, long count)
{
    want = name;
    lo = hi = 0;
    dl_iterate_phdr(find, NULL);
    __atomic_store_n(&only_size, -1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&calls, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&skip_left, skip, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fail_left, count, __ATOMIC_SEQ_CST);
    return lo != 0;
}

int
failmalloc_arm_size(const char *name, long size, long skip, long count)
{
    int found = failmalloc_arm(name, skip, count);
    __atomic_store_n(&only_size, size, __ATOMIC_SEQ_CST);
    return found;
}

long failmalloc_calls(void) { return __atomic_load_n(&calls, __ATOMIC_SEQ_CST); }

static int
should_fail_sized(void *ret, long size)
{
    uintptr_t at = (uintptr_t)ret;
    long only = __atomic_load_n(&only_size, __ATOMIC_SEQ_CST);
    if (at < lo || at >= hi || (only >= 0 && size != only))
        return 0;
    __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    if (__atomic_sub_fetch(&skip_left, 1, __ATOMIC_SEQ_CST) >= 0)
        return 0;
    return __atomic_sub_fetch(&fail_left, 1, __ATOMIC_SEQ_CST) >= 0;
}

#define should_fail(ret) should_fail_sized((ret), -2)
void *malloc(size_t n)
{ return should_fail_sized(__builtin_return_address(0), (long)n) ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b)
{ return should_fail(__builtin_return_address(0)) ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n)
{ return should_fail(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n); }
