/* The simulated cluster's state and its decisions (MS-CMRP): nodes, the
 * functional level, the persistent "upgrade in progress" flag, and the turn
 * that makes one upgrade or check wait for another.
 *
 * Plain malloc memory with an atomic reference count, like the per-call
 * context: the Python SimModel object owns one reference, and every call
 * made to the simulator owns one through its script, so the last one may
 * go on a native thread without a Python thread state.  Nothing here
 * touches Python; `lock` guards the state and is never held while calling
 * back or taking the GIL.  `turn` is held by an upgrade or check from
 * before its first read of the level to its last (callbacks included), on the one native thread that
 * runs it, and never with the GIL: a second call waits for it, as MS-CMRP
 * 3.1.4.3.7.18 says a server does. */
#ifndef CLUSUPGRADE_SIM_MODEL_H
#define CLUSUPGRADE_SIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "clusapi_types.h"
#include "platform.h"

/* CLUSTER_NODE_STATE */
#define CU_NODE_UNKNOWN (-1)
#define CU_NODE_UP 0
#define CU_NODE_DOWN 1
#define CU_NODE_PAUSED 2
#define CU_NODE_JOINING 3

#define CU_SIM_MAX_NODES 64     /* the most a failover cluster can have */

/* Codes the model decides with (winerror.h). */
#define CU_RPC_S_SERVER_UNAVAILABLE 1722u
#define CU_ERROR_CLUSTER_NODE_DOWN 5050u
#define CU_ERROR_CLUSTER_NODE_PAUSED 5070u
#define CU_ERROR_CLUSTER_NODE_NOT_READY 5072u
#define CU_ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS 5973u
#define CU_ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED 5975u
#define CU_ERROR_CLUSTER_UPGRADE_IN_PROGRESS 5976u

typedef struct cu_sim_node {
    uint16_t *name;         /* UTF-16 code units, no NUL */
    size_t name_units;
    int32_t state;          /* CU_NODE_* or any other value */
    uint32_t major, minor, build;   /* the Windows it runs */
    uint32_t highest;       /* NodeHighestVersion: (level << 16) | upgrade
                               version (not the OS build since 2016) */
    uint32_t lowest;        /* NodeLowestVersion */
} cu_sim_node;

typedef struct cu_sim_model {
    cu_atomic refs;
    cu_atomic running;      /* calls begun and not yet finished */
    cu_atomic pid;          /* the process those calls run in */
    cu_mutex turn;          /* held by the upgrade or check under way */
    cu_mutex lock;
    /* Under `lock`: */
    uint16_t *name;
    size_t name_units;
    uint32_t level;         /* ClusterFunctionalLevel */
    uint32_t upgrade_version;   /* ClusterUpgradeVersion, as configured */
    int in_progress;        /* the persistent "upgrade in progress" flag */
    int leaves_in_progress; /* a raise leaves the flag set (a failed
                               upgrade, rehearsed: the simulator's choice) */
    size_t n_nodes;
    cu_sim_node *nodes;
} cu_sim_model;

/* What the cluster decides when an upgrade or check begins. */
typedef struct cu_sim_verdict {
    DWORD status;           /* 0, or the refusal */
    int raises;             /* a success moves the level up one */
} cu_sim_verdict;

/* A model with one reference, `n_nodes` zeroed nodes and no name, or NULL
 * when memory is short. */
cu_sim_model *cu_sim_model_new(size_t n_nodes);
void cu_sim_model_incref(cu_sim_model *model);
/* Safe on any thread, with or without a Python thread state. */
void cu_sim_model_decref(cu_sim_model *model);
/* How many models are alive in this process (for the tests). */
long cu_sim_model_live(void);

/* A malloc copy of `bytes` bytes of UTF-16 in *units, or -1 when memory is
 * short. */
int cu_sim_utf16_copy(const void *utf16, size_t bytes, uint16_t **units,
                      size_t *count);

/* Counts a call as running (before its native side starts), and as done
 * (once it has finished, whatever happened). */
void cu_sim_model_enter(cu_sim_model *model);
void cu_sim_model_leave(cu_sim_model *model);
/* 0 when this process may use the model: the one that made it, or a
 * forked child in which no call was running at the fork (the child adopts
 * it).  -1 when a call was running: its threads, and so its end, exist
 * only in the parent. */
int cu_sim_model_adopt(cu_sim_model *model);

/* Opening the cluster: 0, or RPC_S_SERVER_UNAVAILABLE when no node is up
 * or paused to answer. */
DWORD cu_sim_model_open(cu_sim_model *model);
/* Waits until no other upgrade or check is under way, then holds the turn
 * until cu_sim_model_give_turn on the same thread.  An upgrade or check
 * takes it before it reads the level before, so that a call that waited
 * reports the level the last one left.  Never call it with the GIL
 * held. */
void cu_sim_model_take_turn(cu_sim_model *model);
void cu_sim_model_give_turn(cu_sim_model *model);
/* The decision at the start of an upgrade (`perform`) or a check, made
 * with the turn held. */
cu_sim_verdict cu_sim_model_begin(cu_sim_model *model, BOOL perform);
/* The end of a call that began with `verdict` and returned `status`: a
 * raise that succeeded moves the level, and the next call may go. */
void cu_sim_model_end(cu_sim_model *model, const cu_sim_verdict *verdict,
                      DWORD status);

/* Under `lock`: the index of the node that answers a client (the first up
 * or paused one), or -1. */
long cu_sim_model_answering(const cu_sim_model *model);

#endif /* CLUSUPGRADE_SIM_MODEL_H */
