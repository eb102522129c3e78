/* Lifetime of the per-call context (context.h). */
#include "context.h"

#include <stdlib.h>

cu_context *
cu_context_new(wchar_t *cluster, BOOL perform, cu_sim_script *sim)
{
    cu_context *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL || cu_event_init(&ctx->done) != 0) {
        free(ctx);
        free(cluster);
        cu_sim_script_free(sim);
        return NULL;
    }
    ctx->refs = 1;
    ctx->t0_ns = cu_monotonic_ns();
    ctx->cluster = cluster;
    ctx->perform = perform;
    ctx->sim = sim;
    ctx->missing = -1;
    cu_buf_init(&ctx->payload);
    return ctx;
}

void
cu_context_incref(cu_context *ctx)
{
    cu_atomic_add(&ctx->refs, 1);
}

void
cu_context_decref(cu_context *ctx)
{
    if (cu_atomic_add(&ctx->refs, -1) != 0) {
        return;
    }
    free(ctx->cluster);
    cu_sim_script_free(ctx->sim);
    cu_buf_free(&ctx->payload);
    cu_event_destroy(&ctx->done);
    free(ctx);
}

/* The simulated cluster the call is made to, or NULL. */
static cu_sim_model *
model_of(const cu_context *ctx)
{
    return ctx->sim != NULL ? ctx->sim->model : NULL;
}

void
cu_context_begin(cu_context *ctx)
{
    if (model_of(ctx) != NULL) {
        cu_sim_model_enter(model_of(ctx));
    }
}

void
cu_context_unbegin(cu_context *ctx)
{
    if (model_of(ctx) != NULL) {
        cu_sim_model_leave(model_of(ctx));
    }
}

void
cu_context_finish(cu_context *ctx)
{
    cu_atomic_store(&ctx->finished, 1);
    cu_event_set(&ctx->done);
    /* Last: a process forked between the two sees a call still running
     * (and refuses the model in the child) rather than a finished call
     * whose model looks idle. */
    cu_context_unbegin(ctx);
}

cu_sim_script *
cu_sim_script_new(size_t n_phases)
{
    cu_sim_script *script = calloc(1, sizeof(*script));

    if (script == NULL) {
        return NULL;
    }
    /* One byte more than needed so that an empty script still gets
     * distinct, freeable buffers. */
    script->phases = calloc(n_phases + 1, sizeof(*script->phases));
    script->answers = calloc(n_phases + 1, 1);
    if (script->phases == NULL || script->answers == NULL) {
        cu_sim_script_free(script);
        return NULL;
    }
    script->n_phases = n_phases;
    script->fail_after = -1;
    return script;
}

void
cu_sim_script_free(cu_sim_script *script)
{
    if (script == NULL) {
        return;
    }
    if (script->model != NULL) {
        cu_sim_model_decref(script->model);
    }
    free(script->phases);
    free(script->answers);
    free(script);
}
