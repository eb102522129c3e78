/* The asyncio relay: a native thread that hands a call's records to an
 * event loop (relay.c).  Its Python face is in module.h. */
#ifndef CLUSUPGRADE_RELAY_H
#define CLUSUPGRADE_RELAY_H

/* fork.c, in the child: no relay came along. */
void cu_relay_after_fork_child(void);

#endif /* CLUSUPGRADE_RELAY_H */
