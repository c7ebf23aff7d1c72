/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal to user/stack/cc/: the ops of the built-in algorithms, which the
 * registry in cc.c holds from the start. The rest of the stack uses
 * cc_newreno() and cc_find() from cc.h.
 */
#ifndef XTCP_STACK_CC_CC_BUILTIN_H
#define XTCP_STACK_CC_CC_BUILTIN_H

#include "stack/cc/cc.h"

extern const struct cc_ops cc_newreno_ops;

#endif /* XTCP_STACK_CC_CC_BUILTIN_H */
