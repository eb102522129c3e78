/* The simulated cluster's answers to a query (sim_report.h).  Each
 * function reads the model under its lock, so a report never mixes the
 * state before and after a raise. */
#include "sim_report.h"

#include "proplist_write.h"

#define CLUSTER_VERSION_FLAG_MIXED_MODE 0x1u

/* Nodes run different Cluster service versions: a rolling upgrade is under
 * way. */
static int
mixed_mode(const cu_sim_model *model)
{
    size_t i;

    for (i = 1; i < model->n_nodes; i++) {
        if (model->nodes[i].highest != model->nodes[0].highest) {
            return 1;
        }
    }
    return 0;
}

DWORD
cu_sim_report_info(cu_sim_model *model, cu_buf *out)
{
    size_t head = cu_buf_section_begin(out, CU_SECTION_INFO, 0);
    size_t state;
    long answering;
    int in_progress;

    cu_mutex_lock(&model->lock);
    answering = cu_sim_model_answering(model);
    if (answering >= 0) {
        const cu_sim_node *node = &model->nodes[answering];
        /* CLUSTERVERSIONINFO: the OS of the node that answered, and the
         * versions its Cluster service can join with. */
        cu_buf_u16(out, (uint16_t)node->major);
        cu_buf_u16(out, (uint16_t)node->minor);
        cu_buf_u16(out, (uint16_t)node->build);
        cu_buf_u16(out, 0);
        cu_buf_u32(out, node->highest);
        cu_buf_u32(out, node->lowest);
        cu_buf_u32(out, mixed_mode(model) ? CLUSTER_VERSION_FLAG_MIXED_MODE
                                          : 0);
        cu_buf_append(out, model->name, model->name_units * 2);
    }
    in_progress = model->in_progress;
    cu_mutex_unlock(&model->lock);
    /* Every node went down since the cluster was opened. */
    if (answering < 0) {
        cu_buf_section_status(out, head, CU_RPC_S_SERVER_UNAVAILABLE);
    }
    cu_buf_section_end(out, head);
    if (answering < 0) {
        return CU_RPC_S_SERVER_UNAVAILABLE;
    }
    /* Read in the same hold of the lock as the versions above. */
    state = cu_buf_section_begin(out, CU_SECTION_SIM_STATE, 0);
    cu_buf_u32(out, in_progress ? 1u : 0u);
    cu_buf_section_end(out, state);
    return 0;
}

void
cu_sim_report_props(cu_sim_model *model, uint32_t id, cu_buf *out)
{
    size_t head = cu_buf_section_begin(out, id, 0);
    cu_proplist list;

    cu_mutex_lock(&model->lock);
    cu_proplist_begin(&list, out);
    /* A string first, so that a reader must step over a syntax it does
     * not look for, as it must with a real server's list. */
    cu_proplist_sz(&list, "Name", model->name, model->name_units);
    if (id == CU_SECTION_CLUSTER_PROPS_RW) {
        /* Microsoft documents ClusterUpgradeVersion as read/write: the
         * simulator reports it in this list (its choice), so that the
         * reader's fallback to it is what every simulated query uses. */
        cu_proplist_dword(&list, "ClusterUpgradeVersion",
                          model->upgrade_version);
    }
    else {
        cu_proplist_dword(&list, "ClusterFunctionalLevel", model->level);
    }
    cu_proplist_end(&list);
    cu_mutex_unlock(&model->lock);
    cu_buf_section_end(out, head);
}

/* What CLUSCTL_NODE_GET_RO_COMMON_PROPERTIES returns for `node`. */
static void
node_props(const cu_sim_node *node, cu_buf *out)
{
    static const uint16_t no_service_pack[1] = {0};
    cu_proplist list;

    cu_proplist_begin(&list, out);
    cu_proplist_sz(&list, "NodeName", node->name, node->name_units);
    cu_proplist_dword(&list, "MajorVersion", node->major);
    cu_proplist_dword(&list, "MinorVersion", node->minor);
    cu_proplist_dword(&list, "BuildNumber", node->build);
    cu_proplist_sz(&list, "CSDVersion", no_service_pack, 0);
    cu_proplist_dword(&list, "NodeHighestVersion", node->highest);
    cu_proplist_dword(&list, "NodeLowestVersion", node->lowest);
    cu_proplist_end(&list);
}

/* One NODE section: state, property status, name, then the list. */
static void
node_section(const cu_sim_node *node, cu_buf *out)
{
    size_t head = cu_buf_section_begin(out, CU_SECTION_NODE, 0);

    cu_buf_u32(out, (uint32_t)node->state);
    cu_buf_u32(out, 0);
    cu_buf_u32(out, (uint32_t)(node->name_units * 2));
    cu_buf_append(out, node->name, node->name_units * 2);
    cu_buf_pad4(out);
    node_props(node, out);
    cu_buf_section_end(out, head);
}

void
cu_sim_report_nodes(cu_sim_model *model, cu_buf *out)
{
    size_t head = cu_buf_section_begin(out, CU_SECTION_NODES, 0);
    size_t i;

    cu_mutex_lock(&model->lock);
    cu_buf_u32(out, (uint32_t)model->n_nodes);
    cu_buf_section_end(out, head);
    for (i = 0; i < model->n_nodes; i++) {
        node_section(&model->nodes[i], out);
    }
    cu_mutex_unlock(&model->lock);
}
