#!/usr/bin/env bash
# quickbench: in one run, on one veth pair, Linux TCP and xtcp side by side:
#   1. bulk throughput Linux -> Linux (nc to a kernel listener) and
#      Linux -> xtcp (nc to xtcpd's discard service), same sender, same data;
#   2. xtcp chargen -> Linux, and the share of ACKs the XDP program absorbed.
# Each transfer is bounded (BYTES, default 1 GB; 60 s at most) and repeated
# ROUNDS times (default 3), alternating. Absolute numbers on a shared 2-core
# machine are noise: read the ratio. Needs root.
#
#   tools/quickbench.sh [BYTES] [ROUNDS]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BYTES=${1:-1000000000}
ROUNDS=${2:-3}
. tools/topo.sh

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifb=$(topo_ifname b a)
ifa=$(topo_ifname a b)
b4=$(topo_addr b a 4)
topo_tx_off a
topo_exec a ip link set dev "$ifa" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp
tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"
cat >"$tmp/xtcpd.conf" <<EOF
[daemon]
log_level = warn
control_socket = $tmp/xtcpd.sock
[interface $ifb]
queues = 1
[service discard]
port = 9
address = $b4
[service chargen]
port = 19
address = $b4
EOF
topo_bg b "$BUILD/xtcpd" -c "$tmp/xtcpd.conf" >"$tmp/xtcpd.log" 2>&1
topo_wait 10 "$BUILD/xtcpctl" -s "$tmp/xtcpd.sock" status >/dev/null || {
	cat "$tmp/xtcpd.log"
	exit 1
}

rate() { # SECONDS_START SECONDS_END BYTES -> Gbit/s
	echo "$1 $2 $3" | awk '{ printf "%.2f", $3 * 8 / ($2 - $1) / 1e9 }'
}
now() { date +%s.%N; }
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

lin=() xt=()
for _ in $(seq "$ROUNDS"); do
	topo_bg b sh -c "nc -l '$b4' 5009 >/dev/null"
	topo_wait_listen b 5009
	s=$(now)
	head -c "$BYTES" /dev/zero | topo_exec a timeout 60 nc -N "$b4" 5009
	lin+=("$(rate "$s" "$(now)" "$BYTES")")
	s=$(now)
	head -c "$BYTES" /dev/zero | topo_exec a timeout 60 nc -N "$b4" 9
	xt+=("$(rate "$s" "$(now)" "$BYTES")")
done
ml=$(median "${lin[@]}")
mx=$(median "${xt[@]}")
s=$(now)
topo_exec a sh -c "timeout 60 nc '$b4' 19 | head -c $BYTES >/dev/null"
cg=$(rate "$s" "$(now)" "$BYTES")
acks=$("$BUILD/xtcpctl" -s "$tmp/xtcpd.sock" stats | grep 'ACKs absorbed')

printf '%-34s %s\n' "Linux -> Linux (Gbit/s)" "${lin[*]} (median $ml)"
printf '%-34s %s\n' "Linux -> xtcp discard (Gbit/s)" "${xt[*]} (median $mx)"
printf '%-34s %s\n' "ratio xtcp/Linux" "$(echo "$mx $ml" | awk '{ printf "%.2f", $1 / $2 }')"
printf '%-34s %s\n' "xtcp chargen -> Linux (Gbit/s)" "$cg"
printf '%-34s %s\n' "fast path" "${acks:-no ACK counters}"
