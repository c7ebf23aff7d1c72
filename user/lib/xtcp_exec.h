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

/* 1 in a child that shares this process's memory (vfork): it must not
 * touch libxtcp's state. */
int xtcp__vfork_child(void);

#endif
