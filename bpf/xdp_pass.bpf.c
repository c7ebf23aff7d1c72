// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An XDP program that passes every frame: for the Linux side of a test veth
 * that receives XDP_TX'd or redirected frames, which veth only delivers to a
 * peer with an XDP program of its own. It changes nothing else.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
