/* The per-call context: what the native side of one upgrade call shares
 * with Python.
 *
 * It is plain malloc memory with an atomic reference count, because its
 * last reference may be dropped on a thread that holds no Python thread
 * state, possibly while the interpreter finalizes.  It owns no Python
 * object: `sink` is borrowed from the Call object that owns the reference,
 * and is read and cleared only with the GIL held. */
#ifndef CLUSUPGRADE_CONTEXT_H
#define CLUSUPGRADE_CONTEXT_H

#include <Python.h>
#include <stddef.h>
#include <wchar.h>

#include "buf.h"
#include "platform.h"
#include "sim_model.h"

/* One call to the simulated cluster (backend_sim.c): the model it asks,
 * and the scripted faults that override the model's decisions. */
typedef struct cu_sim_script {
    size_t n_phases;
    int32_t *phases;
    int64_t delay_ns;       /* between two phases, and before a query's
                               answer */
    int has_status;         /* `status` was given: it overrides the model */
    DWORD status;           /* returned after the script */
    long fail_after;        /* stop after this many phases; -1: never */
    DWORD open_error;       /* 0, or what opening the cluster fails with */
    int native_thread;      /* call back on a thread of the simulator's own */
    size_t n_answers;       /* what the callback answered, in order */
    unsigned char *answers;
    cu_sim_model *model;    /* a reference, or NULL: the script alone
                               decides, and the cluster describes nothing */
    int holds_turn;         /* an upgrade or check between its open and
                               its close: it holds the model's turn */
} cu_sim_script;

typedef struct cu_context cu_context;

/* What a call does: raise (or check) the level, or read the cluster. */
typedef enum cu_kind {
    CU_KIND_UPGRADE = 0,
    CU_KIND_QUERY = 1,
} cu_kind;

struct cu_context {
    cu_atomic refs;
    cu_atomic aborted;      /* abort(): later callbacks are answered FALSE */
    cu_atomic detached;     /* nobody listens: later callbacks are answered
                               TRUE and forwarded nowhere */
    cu_atomic finished;     /* the native call has returned */
    cu_event done;          /* set when it has */
    int64_t t0_ns;          /* cu_monotonic_ns() when the native call began */
    int64_t duration_ns;    /* from t0_ns to the native call's return,
                               written before `finished` is set */
    PyObject *sink;         /* borrowed; GIL only; NULL once detached */
    uint32_t tag;           /* put in every record: a fleet's member index */
    int started;            /* GIL only: run() or start() was called */
    int lost;               /* GIL only: a phase could not be forwarded */
    cu_atomic caller_thread; /* native id of the thread that made the call;
                               written by the worker, read by Python */
    int measure;            /* add up the time callbacks hold the GIL */
    int64_t gil_held_ns;    /* GIL only */
    wchar_t *cluster;       /* NULL: the local cluster */
    BOOL perform;
    cu_kind kind;
    cu_sim_script *sim;     /* NULL: the real clusapi.dll */
    /* The outcome: written by the native side before `finished` is set,
     * read by anyone after they have seen it set. */
    DWORD status;
    int stage;              /* a cu_stage */
    int missing;            /* the absent export for a failed load, or -1 */
    cu_buf payload;         /* the sections the call read (buf.h) */
};

/* A context with one reference, or NULL when memory is short.  Takes
 * ownership of `cluster` and `sim` (malloc memory) in every case. */
cu_context *cu_context_new(wchar_t *cluster, BOOL perform, cu_sim_script *sim);

/* Counts the call as running on its simulated cluster, if it has one:
 * called once the call is sure to be made, before its native side starts.
 * cu_context_unbegin() undoes it for a call whose thread could not
 * start. */
void cu_context_begin(cu_context *ctx);
void cu_context_unbegin(cu_context *ctx);
/* Marks the native call returned and wakes its waiters. */
void cu_context_finish(cu_context *ctx);
void cu_context_incref(cu_context *ctx);
/* Safe on any thread, with or without a Python thread state. */
void cu_context_decref(cu_context *ctx);

/* A script of `n_phases` zeroed phases, without a model, or NULL. */
cu_sim_script *cu_sim_script_new(size_t n_phases);
/* Frees the script and drops its reference to the model. */
void cu_sim_script_free(cu_sim_script *script);

#endif /* CLUSUPGRADE_CONTEXT_H */
