/* What a forked child must not believe: that its parent's native threads
 * came along.  fork() copies memory, not threads. */
#ifndef CLUSUPGRADE_FORK_H
#define CLUSUPGRADE_FORK_H

#include "platform.h"

/* Installs the fork handlers, once per process; later calls do nothing.
 * With the GIL held.  0, or an error code. */
DWORD cu_fork_init(void);

/* 0 in a process that fork() did not make, one more in each forked child
 * than in its parent.  Something that records it when its call starts
 * knows, when it reads another value, that it was inherited through
 * fork() and that the thread serving its call stayed in the parent. */
long cu_fork_generation(void);

#endif /* CLUSUPGRADE_FORK_H */
