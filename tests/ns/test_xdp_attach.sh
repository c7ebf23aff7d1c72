#!/usr/bin/env bash
# The XDP program attached natively to a veth in a test host, with Linux on
# both sides: what is not the stack's still reaches the kernel, and a bound
# port with no AF_XDP socket behind it falls back to the kernel too, each
# counted in the pinned per-CPU counters. The maps are pinned in the host's
# own bpffs (topo_exec), never in the machine's.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

OBJ=$BUILD/bpf/xtcp.bpf.o
HDR=$XTCP_ROOT/include/xtcp/xdp_maps.h

require_netns xdp_attach
if [ ! -f "$OBJ" ]; then
	fail xdp_attach "$OBJ not built"
	exit 0
fi

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifb=$(topo_ifname b a)
b4=$(topo_addr b a 4)
b6=$(topo_addr b a 6)
# a is a Linux sender facing XDP: without this its checksums stay partial.
topo_tx_off a

# Counter index of XTCP_CNT_<name>, read from the shared header's enum.
cnt_index() {
	sed -n '/^enum xtcp_counter {/,/^};/p' "$HDR" |
		sed -n 's/^[[:space:]]*\(XTCP_CNT_[A-Z0-9_]*\).*/\1/p' |
		awk -v n="XTCP_CNT_$1" '$0 == n { print NR - 1; exit }'
}

pin() { # map name: its pin, wherever the loader put it in b's bpffs
	topo_exec b find /sys/fs/bpf -name "$1" | head -1
}

# Sum over CPUs of counter NAME.
count() {
	local i
	i=$(cnt_index "$1")
	topo_exec b bpftool -j map lookup pinned "$(pin xtcp_counters)" \
		key "$i" 0 0 0 | grep -o '"formatted".*' |
		grep -o '"value":[0-9]*' | cut -d: -f2 |
		awk '{ s += $1 } END { print s + 0 }'
}

# bind ADDR16HEX PORT: add (address, port) to xtcp_bound. ADDR16HEX is the
# 16 address bytes as hex words.
bind_port() {
	# shellcheck disable=SC2046,SC2086
	topo_exec b bpftool map update pinned "$(pin xtcp_bound)" \
		key hex $1 $(printf '%02x %02x' $(($2 >> 8)) $(($2 & 255))) 00 00 \
		value hex 00 00 00 00 01 00 00 00
}

# "counter NAME went up by at least N while CMD... ran and succeeded"
rises() { # NAME N CMD...
	local name=$1 n=$2 before after
	shift 2
	before=$(count "$name")
	"$@" || return 1
	after=$(count "$name")
	if [ $((after - before)) -lt "$n" ]; then
		echo "$name went from $before to $after"
		return 1
	fi
}

# Connect from a, send a line, and see b's kernel listener receive it.
tcp_ok() { # ADDR PORT
	local out=$tmp/recv.$2
	topo_bg b sh -c "nc -l '$1' '$2' >'$out'"
	topo_wait_listen b "$2" || return 1
	echo "hello $2" | topo_exec a nc -N -w 2 "$1" "$2" || return 1
	topo_wait 2 grep -q "hello $2" "$out"
}

tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"

check "attach native XDP" topo_exec b ip link set dev "$ifb" xdpdrv \
	obj "$OBJ" sec xdp
check "maps pinned in the host's bpffs" test -n "$(pin xtcp_bound)"
check "ping ipv4 through XDP (not TCP)" rises PASS_NOT_TCP 3 \
	topo_exec a ping -q -c 3 -i 0.2 -W 2 "$b4"
check "ping ipv6 through XDP (not TCP)" rises PASS_NOT_TCP 3 \
	topo_exec a ping -q -c 3 -i 0.2 -W 2 "$b6"
check "tcp to an unbound port reaches the kernel" rises PASS_NOT_OURS 3 \
	tcp_ok "$b4" 5002

# b's address as IPv4-mapped, and the IPv6 wildcard "::".
# shellcheck disable=SC2086
check "bind ipv4 port in xtcp_bound" bind_port \
	"00 00 00 00 00 00 00 00 00 00 ff ff $(IFS=. && printf '%02x ' $b4)" 5001
check "bind ipv6 wildcard port in xtcp_bound" bind_port \
	"00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" 5003
check "bound ipv4 port without XSK falls back to the kernel" \
	rises PASS_NO_XSK 3 tcp_ok "$b4" 5001
check "bound ipv6 port without XSK falls back to the kernel" \
	rises PASS_NO_XSK 3 tcp_ok "$b6" 5003
check "nothing dropped" test "$(count DROP_MALFORMED)$(count DROP_BAD_IP4_CSUM)" = 00
