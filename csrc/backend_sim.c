/* The simulated cluster: a model of a cluster (sim_model.h) that decides
 * each call as MS-CMRP describes, and plays the call's phases through the
 * same callback signature clusapi.dll uses, on the calling thread or on a
 * thread of its own, as a cluster service thread would.
 *
 * It knows nothing of Python; like a real cluster it only sees the
 * callback's answers, records them, and stops at the first FALSE.  The
 * script's faults (an explicit status, fail_after, open_error) override
 * the model, for rehearsing failures the model would not produce. */
#include "backend.h"
#include "sim_report.h"

/* How a call goes: the phases it reports, then what it returns. */
typedef struct sim_plan {
    size_t n_phases;        /* how many of the script's phases to play */
    DWORD status;           /* returned once they are played */
} sim_plan;

typedef struct sim_run {
    cu_sim_script *script;
    size_t n_phases;
    PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback;
    PVOID arg;
    DWORD status;
} sim_run;

/* Returned by play() when every phase was answered TRUE. */
#define PLAYED 0u

static DWORD
failure_status(const cu_sim_script *script)
{
    /* Failing part-way with a zero status would look like success. */
    return script->has_status && script->status != 0
        ? script->status : CU_ERROR_CLUSTER_UPGRADE_INCOMPLETE;
}

/* The first `n` phases of the script, stopping at the first FALSE answer
 * (ERROR_CANCELLED) or at fail_after. */
static DWORD
play(cu_sim_script *script, size_t n,
     PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    size_t i;

    for (i = 0; i < n; i++) {
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
    return PLAYED;
}

static void
play_on_thread(void *raw)
{
    sim_run *run = raw;

    run->status = play(run->script, run->n_phases, run->callback, run->arg);
}

/* play() on the thread the script asks for. */
static DWORD
play_where_asked(cu_sim_script *script, size_t n,
                 PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    sim_run run = {script, n, callback, arg, 0};
    cu_thread thread;
    DWORD err;

    if (!script->native_thread) {
        return play(script, n, callback, arg);
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

/* The phases up to and including the first VALIDATING_UPGRADE: where a
 * cluster finds that it cannot go on. */
static size_t
through_validation(const cu_sim_script *script)
{
    size_t i;

    for (i = 0; i < script->n_phases; i++) {
        if (script->phases[i] == ClusterUpgradePhaseValidatingUpgrade) {
            return i + 1;
        }
    }
    return 0;
}

/* What the call does, from the model's verdict and the script. */
static sim_plan
plan_of(const cu_sim_script *script, const cu_sim_verdict *verdict)
{
    sim_plan plan = {script->n_phases, 0};

    if (script->has_status || script->fail_after >= 0) {
        /* A scripted fault: the whole script, then its status. */
        plan.status = script->has_status ? script->status : 0;
    }
    else if (verdict->status == CU_ERROR_CLUSTER_UPGRADE_IN_PROGRESS) {
        /* The persistent flag: refused at once, no node is told
         * anything. */
        plan.n_phases = 0;
        plan.status = verdict->status;
    }
    else if (verdict->status != 0) {
        plan.n_phases = through_validation(script);
        plan.status = verdict->status;
    }
    return plan;
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
    cu_sim_script *script = ctx->sim;

    if (script->open_error != 0) {
        return script->open_error;
    }
    if (script->model != NULL) {
        DWORD status = cu_sim_model_open(script->model);
        if (status != 0) {
            return status;
        }
        /* An upgrade or check waits for the one under way here, before
         * the backend reads the level before (backend.c): one that waited
         * must report the level the other left, not the one it found on
         * arriving.  Last, so that no failure of open leaves it held:
         * close gives it back.  A query never waits. */
        if (ctx->kind != CU_KIND_QUERY) {
            cu_sim_model_take_turn(script->model);
            script->holds_turn = 1;
        }
    }
    *cluster = script;
    return 0;
}

static DWORD
sim_upgrade(void *cluster, BOOL perform,
            PCLUSTER_UPGRADE_PROGRESS_CALLBACK callback, PVOID arg)
{
    cu_sim_script *script = cluster;
    cu_sim_verdict verdict = {0, 0};
    sim_plan plan;
    DWORD status;

    script->n_answers = 0;
    if (script->model != NULL) {
        verdict = cu_sim_model_begin(script->model, perform);
    }
    plan = plan_of(script, &verdict);
    status = play_where_asked(script, plan.n_phases, callback, arg);
    if (status == PLAYED) {
        status = plan.status;
    }
    /* In C, when the call returns: the level moves whether or not anyone
     * ever reads the result. */
    if (script->model != NULL) {
        cu_sim_model_end(script->model, &verdict, status);
    }
    return status;
}

/* Without a model the simulated cluster describes nothing: its sections
 * are absent, as on a server that does not support the control. */
static void
sim_cluster_props(void *cluster, uint32_t id, cu_buf *out)
{
    cu_sim_script *script = cluster;

    if (script->model == NULL) {
        cu_buf_section_absent(out, id, CU_ERROR_CALL_NOT_IMPLEMENTED);
        return;
    }
    cu_sim_report_props(script->model, id, out);
}

static DWORD
sim_information(void *cluster, cu_buf *out)
{
    cu_sim_script *script = cluster;

    /* A slow cluster answers a query late too: the first thing a query
     * reads waits for the script's delay. */
    cu_sleep_ns(script->delay_ns);
    if (script->model == NULL) {
        cu_buf_section_absent(out, CU_SECTION_INFO,
                              CU_ERROR_CALL_NOT_IMPLEMENTED);
        return CU_ERROR_CALL_NOT_IMPLEMENTED;
    }
    return cu_sim_report_info(script->model, out);
}

static void
sim_nodes(void *cluster, cu_buf *out)
{
    cu_sim_script *script = cluster;

    if (script->model == NULL) {
        cu_buf_section_absent(out, CU_SECTION_NODES,
                              CU_ERROR_CALL_NOT_IMPLEMENTED);
        return;
    }
    cu_sim_report_nodes(script->model, out);
}

static void
sim_close(void *cluster)
{
    cu_sim_script *script = cluster;

    /* After the level after was read, which is then this call's own. */
    if (script->holds_turn) {
        script->holds_turn = 0;
        cu_sim_model_give_turn(script->model);
    }
}

const cu_backend cu_simulator_backend = {
    sim_load, sim_open, sim_upgrade, sim_cluster_props, sim_information,
    sim_nodes, sim_close,
};
