/* What the simulated cluster reports about itself, as the sections of a
 * call's payload (buf.h), written from the model the way the clusapi
 * backend writes what a real cluster answers. */
#ifndef CLUSUPGRADE_SIM_REPORT_H
#define CLUSUPGRADE_SIM_REPORT_H

#include <stdint.h>

#include "buf.h"
#include "sim_model.h"

/* The INFO section (GetClusterInformation, from the node that answers);
 * returns its status. */
DWORD cu_sim_report_info(cu_sim_model *model, cu_buf *out);
/* A section `id` with the cluster's read-only common property list. */
void cu_sim_report_props(cu_sim_model *model, uint32_t id, cu_buf *out);
/* The NODES section, then one NODE section per node. */
void cu_sim_report_nodes(cu_sim_model *model, cu_buf *out);

#endif /* CLUSUPGRADE_SIM_REPORT_H */
