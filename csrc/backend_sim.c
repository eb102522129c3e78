/* The simulated cluster: plays a script of phases through the same
 * callback signature clusapi.dll uses, on the calling thread or on a
 * thread of its own, as a cluster service thread would.
 *
 * It knows nothing of Python; like a real cluster it only sees the
 * callback's answers, records them, and stops at the first FALSE. */
#include "backend.h"

typedef struct sim_run {
    cu_sim_script *script;
    PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback;
    PVOID arg;
    DWORD status;
} sim_run;

static DWORD
failure_status(const cu_sim_script *script)
{
    /* Failing part-way with a zero status would look like success. */
    return script->status != 0 ? script->status
                               : CU_ERROR_CLUSTER_UPGRADE_INCOMPLETE;
}

static DWORD
play(cu_sim_script *script, PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback,
     PVOID arg)
{
    size_t i;

    for (i = 0; i < script->n_phases; i++) {
        BOOL answer;

        if (i > 0) {
            cu_sleep_ns(script->delay_ns);
        }
        if (script->fail_after >= 0 && (size_t)script->fail_after == i) {
            return failure_status(script);
        }
        answer = callback(arg, (CLUSTER_UPGRADE_PHASE)script->phases[i]);
        script->answers[script->n_answers++] = answer ? 1 : 0;
        if (!answer) {
            return CU_ERROR_CANCELLED;
        }
    }
    if (script->fail_after >= 0 && (size_t)script->fail_after == i) {
        cu_sleep_ns(script->delay_ns);
        return failure_status(script);
    }
    return script->status;
}

static void
play_on_thread(void *raw)
{
    sim_run *run = raw;

    run->status = play(run->script, run->callback, run->arg);
}

static DWORD
sim_load(unsigned required, int *missing)
{
    (void)required;
    *missing = -1;
    return 0;
}

static DWORD
sim_open(cu_context *ctx, void **cluster)
{
    if (ctx->sim->open_error != 0) {
        return ctx->sim->open_error;
    }
    *cluster = ctx->sim;
    return 0;
}

static DWORD
sim_upgrade(void *cluster, BOOL perform,
            PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    cu_sim_script *script = cluster;
    sim_run run = {script, callback, arg, 0};
    cu_thread thread;
    DWORD err;

    /* The Python layer hands over the script that matches `perform`. */
    (void)perform;
    script->n_answers = 0;
    if (!script->native_thread) {
        return play(script, callback, arg);
    }
    err = cu_thread_start(&thread, play_on_thread, &run, CU_SMALL_STACK);
    if (err != 0) {
        return err;
    }
    /* The call is synchronous, as ClusterUpgradeFunctionalLevel is: no
     * callback can arrive once it has returned. */
    cu_thread_join(thread);
    return run.status;
}

/* The simulated cluster does not describe itself yet: its sections are
 * absent, as on a server that does not support the control. */
static void
sim_cluster_props(void *cluster, uint32_t id, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, id, CU_ERROR_CALL_NOT_IMPLEMENTED);
}

static DWORD
sim_information(void *cluster, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, CU_SECTION_INFO, CU_ERROR_CALL_NOT_IMPLEMENTED);
    return CU_ERROR_CALL_NOT_IMPLEMENTED;
}

static void
sim_nodes(void *cluster, cu_buf *out)
{
    (void)cluster;
    cu_buf_section_absent(out, CU_SECTION_NODES, CU_ERROR_CALL_NOT_IMPLEMENTED);
}

static void
sim_close(void *cluster)
{
    (void)cluster;
}

const cu_backend cu_simulator_backend = {
    sim_load, sim_open, sim_upgrade, sim_cluster_props, sim_information,
    sim_nodes, sim_close,
};
