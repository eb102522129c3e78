/* The simulated cluster's state and decisions (sim_model.h).
 *
 * The rules, in the order a call meets them (docs/sources.md lists them
 * with their sources):
 *   1. another upgrade or check is under way          -> wait for it, then
 *                                                        decide on the new
 *                                                        state (MS-CMRP
 *                                                        3.1.4.3.7.18)
 *   2. the persistent "upgrade in progress" flag      -> 5976 (MS-CMRP
 *                                                        3.1.1.12 names the
 *                                                        flag; the code is
 *                                                        the simulator's
 *                                                        choice)
 *   3. a node is down                                 -> 5050 \ which code
 *   4. a node is paused                               -> 5070  | a real
 *   5. a node is joining, or its state is unknown     -> 5072 / one gives is
 *                                                        documented nowhere:
 *                                                        the simulator's
 *                                                        choice
 *   6. only some nodes support level + 1              -> 5973 (MS-CMRP)
 *   7. no node supports more than the level           -> 0, nothing to do
 *                                                        (MS-CMRP)
 *   8. every node supports level + 1                  -> 0, and a perform
 *                                                        raises the level
 *                                                        by one when it
 *                                                        returns (MS-CMRP)
 * A raise sets the flag while it runs and clears it at its end, unless the
 * Simulator was made with leaves_in_progress=True (a failed upgrade that
 * left it set, the case MS-CMRP's CLEAR_UPGRADE_IN_PROGRESS control
 * exists for). */
#include "sim_model.h"

#include <stdlib.h>
#include <string.h>

/* Models alive in this process: the tests' view of what was freed. */
static cu_atomic live;

cu_sim_model *
cu_sim_model_new(size_t n_nodes)
{
    cu_sim_model *model = calloc(1, sizeof(*model));

    if (model == NULL) {
        return NULL;
    }
    /* One more than needed, so that calloc(0) is never asked for. */
    model->nodes = calloc(n_nodes + 1, sizeof(*model->nodes));
    if (model->nodes == NULL) {
        free(model);
        return NULL;
    }
    model->n_nodes = n_nodes;
    model->refs = 1;
    model->pid = cu_process_id();
    cu_mutex_init(&model->turn);
    cu_mutex_init(&model->lock);
    cu_atomic_add(&live, 1);
    return model;
}

void
cu_sim_model_incref(cu_sim_model *model)
{
    cu_atomic_add(&model->refs, 1);
}

void
cu_sim_model_decref(cu_sim_model *model)
{
    size_t i;

    if (cu_atomic_add(&model->refs, -1) != 0) {
        return;
    }
    for (i = 0; i < model->n_nodes; i++) {
        free(model->nodes[i].name);
    }
    free(model->nodes);
    free(model->name);
    cu_mutex_destroy(&model->lock);
    cu_mutex_destroy(&model->turn);
    free(model);
    cu_atomic_add(&live, -1);
}

long
cu_sim_model_live(void)
{
    return cu_atomic_load(&live);
}

int
cu_sim_utf16_copy(const void *utf16, size_t bytes, uint16_t **units,
                  size_t *count)
{
    /* Never malloc(0): an empty name still gets a freeable buffer. */
    uint16_t *copy = malloc(bytes + sizeof(uint16_t));

    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, utf16, bytes);
    *units = copy;
    *count = bytes / sizeof(uint16_t);
    return 0;
}

void
cu_sim_model_enter(cu_sim_model *model)
{
    cu_atomic_add(&model->running, 1);
}

void
cu_sim_model_leave(cu_sim_model *model)
{
    cu_atomic_add(&model->running, -1);
}

int
cu_sim_model_adopt(cu_sim_model *model)
{
    long pid = cu_process_id();

    if (cu_atomic_load(&model->pid) == pid) {
        return 0;
    }
    /* Forked.  With no call running, no thread held the lock or the turn
     * at the fork (only calls take them), so the child may go on with the
     * state as it was. */
    if (cu_atomic_load(&model->running) != 0) {
        return -1;
    }
    cu_atomic_store(&model->pid, pid);
    return 0;
}

long
cu_sim_model_answering(const cu_sim_model *model)
{
    size_t i;

    for (i = 0; i < model->n_nodes; i++) {
        int32_t state = model->nodes[i].state;
        if (state == CU_NODE_UP || state == CU_NODE_PAUSED) {
            return (long)i;
        }
    }
    return -1;
}

DWORD
cu_sim_model_open(cu_sim_model *model)
{
    long answering;

    cu_mutex_lock(&model->lock);
    answering = cu_sim_model_answering(model);
    cu_mutex_unlock(&model->lock);
    /* A paused node still runs the Cluster service and answers; with
     * every node down there is nobody to talk to. */
    return answering < 0 ? CU_RPC_S_SERVER_UNAVAILABLE : 0;
}

/* Rules 3 to 5: 0 when every node is an active member. */
static DWORD
membership(const cu_sim_model *model)
{
    static const struct {
        int32_t state;
        DWORD status;
    } refusals[] = {
        {CU_NODE_DOWN, CU_ERROR_CLUSTER_NODE_DOWN},
        {CU_NODE_PAUSED, CU_ERROR_CLUSTER_NODE_PAUSED},
    };
    size_t r, i;

    for (r = 0; r < sizeof(refusals) / sizeof(refusals[0]); r++) {
        for (i = 0; i < model->n_nodes; i++) {
            if (model->nodes[i].state == refusals[r].state) {
                return refusals[r].status;
            }
        }
    }
    for (i = 0; i < model->n_nodes; i++) {
        if (model->nodes[i].state != CU_NODE_UP) {
            return CU_ERROR_CLUSTER_NODE_NOT_READY;
        }
    }
    return 0;
}

/* How many nodes support the level above the cluster's. */
static size_t
supporting_next(const cu_sim_model *model)
{
    uint32_t next = model->level + 1;
    size_t i, n = 0;

    for (i = 0; i < model->n_nodes; i++) {
        if ((model->nodes[i].highest >> 16) >= next) {
            n++;
        }
    }
    return n;
}

/* Under the lock and the turn: rules 2 to 8. */
static cu_sim_verdict
decide(const cu_sim_model *model, BOOL perform)
{
    cu_sim_verdict verdict = {0, 0};
    size_t supporting;

    if (model->in_progress) {
        verdict.status = CU_ERROR_CLUSTER_UPGRADE_IN_PROGRESS;
        return verdict;
    }
    verdict.status = membership(model);
    if (verdict.status != 0) {
        return verdict;
    }
    supporting = supporting_next(model);
    if (supporting == model->n_nodes) {
        verdict.raises = perform ? 1 : 0;
    }
    else if (supporting > 0) {
        verdict.status = CU_ERROR_CLUSTER_UPGRADE_INCOMPATIBLE_VERSIONS;
    }
    return verdict;
}

cu_sim_verdict
cu_sim_model_begin(cu_sim_model *model, BOOL perform)
{
    cu_sim_verdict verdict;

    /* Rule 1 was met before: the caller holds the turn
     * (cu_sim_model_take_turn), so this decides on the state the last
     * upgrade or check left. */
    cu_mutex_lock(&model->lock);
    verdict = decide(model, perform);
    if (verdict.raises) {
        /* Set while the raise runs, as the real cluster does in its
         * persistent state. */
        model->in_progress = 1;
    }
    cu_mutex_unlock(&model->lock);
    return verdict;
}

void
cu_sim_model_end(cu_sim_model *model, const cu_sim_verdict *verdict,
                 DWORD status)
{
    int succeeded = status == 0
        || status == CU_ERROR_CLUSTER_UPGRADE_RESTART_REQUIRED;

    cu_mutex_lock(&model->lock);
    if (verdict->raises) {
        if (succeeded && model->level < 0xFFFF) {
            model->level++;
        }
        /* Cleared whatever the outcome, unless the simulator rehearses a
         * failed upgrade that left it set: then every later upgrade and
         * check answers 5976. */
        if (!model->leaves_in_progress) {
            model->in_progress = 0;
        }
    }
    cu_mutex_unlock(&model->lock);
}

void
cu_sim_model_take_turn(cu_sim_model *model)
{
    /* Rule 1: one upgrade or check at a time; the next one waits here.
     * Refusals at validation hold the turn too, while they play their
     * phases. */
    cu_mutex_lock(&model->turn);
}

void
cu_sim_model_give_turn(cu_sim_model *model)
{
    cu_mutex_unlock(&model->turn);
}
