/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libxtcp's side of exec for the LD_PRELOAD shim (preload.c): sockets
 * without FD_CLOEXEC survive exec(2) as with the kernel's (ipc.h, exec).
 * Not part of the public API.
 */
#ifndef XTCP_LIB_XTCP_EXEC_H
#define XTCP_LIB_XTCP_EXEC_H

/*
 * Before exec: "XTCP_INHERIT=..." (malloc'd) describing what the new
 * image takes over, with FD_CLOEXEC cleared on the session's descriptors;
 * NULL when there is nothing to hand over (no session, xtcpd gone) or no
 * memory. *handle is for xtcp__exec_undo (a vfork child's new connection).
 */
char *xtcp__exec_env(int *handle);
/* The exec failed: the session's descriptors close on exec again. */
void xtcp__exec_undo(int handle);
/* In the new image, the variable's value: 0 or a negative errno. */
int xtcp__exec_adopt(const char *desc);

/* _exit(): close the sockets still open as exit() would, if that can be
 * done safely at that point (async-signal-safe, not in a vfork child). */
void xtcp__exit_close(void);

#endif
