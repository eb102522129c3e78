/* Python's slot tables (PyType_Slot, PyModuleDef_Slot) keep functions in
 * `void *` fields.  ISO C leaves converting a function pointer to `void *`
 * undefined, every platform CPython runs on defines it, and strict builds
 * (-pedantic-errors, tools/check-c.sh) reject it.  Like CPython's own
 * strict-C test, put CU_SLOTS_BEGIN and CU_SLOTS_END around each slot
 * table, and nowhere else: every other line stays strict. */
#ifndef CU_SLOTS_H
#define CU_SLOTS_H

#if defined(__GNUC__) || defined(__clang__)
#define CU_SLOTS_BEGIN \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wpedantic\"")
#define CU_SLOTS_END _Pragma("GCC diagnostic pop")
#else
#define CU_SLOTS_BEGIN
#define CU_SLOTS_END
#endif

#endif
