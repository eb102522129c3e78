/* What the simulated cluster reports about itself, as the sections of a
 * call's payload (buf.h), written from the model the way the clusapi
 * backend writes what a real cluster answers. */
#ifndef CLUSUPGRADE_SIM_REPORT_H
#define CLUSUPGRADE_SIM_REPORT_H

#include <stdint.h>

#include "buf.h"
#include "sim_model.h"

/* The INFO section (GetClusterInformation, from the node that answers),
 * then the SIM_STATE section (the persistent in-progress flag, which no
 * real cluster reports); returns the INFO section's status. */
DWORD cu_sim_report_info(cu_sim_model *model, cu_buf *out);
/* A section `id` with the cluster's common property list: the read-write
 * one for CU_SECTION_CLUSTER_PROPS_RW, else the read-only one. */
void cu_sim_report_props(cu_sim_model *model, uint32_t id, cu_buf *out);
/* The NODES section, then one NODE section per node. */
void cu_sim_report_nodes(cu_sim_model *model, cu_buf *out);

#endif /* CLUSUPGRADE_SIM_REPORT_H */
