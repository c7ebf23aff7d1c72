#!/usr/bin/env bash
# make demo: what xtcp does today, end to end, in a few seconds.
#
# 1. Two test hosts (network namespaces joined by a veth pair, addressed from
#    198.18.0.0/15 and 2001:db8::/32), the stack's XDP program attached
#    natively on one of them: Linux traffic (ping, TCP to other ports) still
#    reaches the kernel, counted by the program's per-CPU counters.
# 2. The protocol engine: two xtcp engines exchanging 10 MB each way over a
#    simulated link with loss, duplication, reordering and corruption, over
#    IPv4 and IPv6, checked byte for byte with SHA-256.
#
# 3. xtcpd on the AF_XDP datapath running the man page's example server and
#    client (over libxtcp) against Linux TCP over IPv4 and IPv6.
# 4. quickbench: Linux TCP and xtcp side by side on one veth pair.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tools/topo.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, XDP)" >&2
	exit 1
fi

say "test hosts a and b, one veth link"
topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifb=$(topo_ifname b a)
b4=$(topo_addr b a 4)
b6=$(topo_addr b a 6)
topo_tx_off a
echo "a: $(topo_addr a b 4) $(topo_addr a b 6)    b: $b4 $b6 (on $ifb)"

say "attach the xtcp XDP program natively on b"
topo_exec b ip link set dev "$ifb" xdpdrv obj "$BUILD/bpf/xtcp.bpf.o" sec xdp || exit 1
topo_exec b ip -d link show dev "$ifb" | grep -o 'xdp.*' | head -2

say "Linux traffic still reaches b's kernel"
topo_exec a ping -c 2 -i 0.2 -W 2 "$b4" | tail -2
topo_exec a ping -c 2 -i 0.2 -W 2 "$b6" | tail -2
tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"
topo_bg b sh -c "nc -l '$b4' 7000 >'$tmp/got'"
topo_wait_listen b 7000
echo "hello over Linux TCP, through XDP" | topo_exec a nc -N -w 2 "$b4" 7000
topo_wait 2 test -s "$tmp/got"
echo "b's kernel received: $(cat "$tmp/got")"

say "XDP verdict counters on b (summed over CPUs)"
pin=$(topo_exec b find /sys/fs/bpf -name xtcp_counters | head -1)
sed -n '/^enum xtcp_counter {/,/^};/p' include/xtcp/xdp_maps.h |
	sed -n 's/^[[:space:]]*XTCP_CNT_\([A-Z0-9_]*\).*/\1/p' | grep -v '^MAX$' |
	while read -r name; do
		i=$((${i:--1} + 1))
		n=$(topo_exec b bpftool -j map lookup pinned "$pin" key "$i" 0 0 0 |
			grep -o '"value":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
		printf '  %-22s %s\n' "$name" "$n"
	done

say "xtcpd on b, the man page's examples over xtcp against Linux TCP"
topo_exec a ip link set dev "$(topo_ifname a b)" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp
topo_exec b ip link set dev "$ifb" xdp off
chmod 755 "$tmp"
app=$tmp/app.sock
cat >"$tmp/xtcpd.conf" <<EOF
[daemon]
log_level = warn
control_socket = $tmp/xtcpd.sock
app_socket = $app
[interface $ifb]
queues = 1
EOF
topo_bg b "$BUILD/xtcpd" -c "$tmp/xtcpd.conf" >"$tmp/xtcpd.log" 2>&1
topo_wait 10 test -S "$app" || {
	cat "$tmp/xtcpd.log"
	exit 1
}
"$BUILD/xtcpctl" -s "$tmp/xtcpd.sock" status | sed 's/^/  /'

echo
echo "Example 2 (server) on xtcp; Linux nc connects over IPv4 and IPv6:"
echo "  \$ ./server 8080 \$'hello\\n'"
topo_bg b env XTCP_APP_SOCKET="$app" stdbuf -oL "$BUILD/xtcp-example-server" 8080 $'hello\n' >"$tmp/server.out" 2>&1
topo_wait 5 grep -q waiting "$tmp/server.out"
for addr in "$b4" "$b6" "$b4" "$b6" "$b4"; do
	got=$(topo_exec a timeout 5 nc -w 3 "$addr" 8080 </dev/null)
	echo "  Linux nc $addr 8080 read: $got"
done
topo_wait 5 grep -q finished "$tmp/server.out"
sed 's/^/  server: /' "$tmp/server.out"

echo
echo "Example 1 (client) on xtcp; a Linux server on a:"
for addr in "$(topo_addr a b 4)" "$(topo_addr a b 6)"; do
	topo_bg a sh -c "echo hello | nc -N -l '$addr' 8081"
	topo_wait_listen a 8081
	echo "  \$ ./client $addr 8081"
	topo_exec b env XTCP_APP_SOCKET="$app" timeout 5 "$BUILD/xtcp-example-client" "$addr" 8081 | sed 's/^/  /'
done

say "a short benchmark: Linux TCP and xtcp side by side (200 MB, 3 rounds)"
topo_cleanup
env -u TOPO_ID BUILD="$BUILD" tools/quickbench.sh 200000000 3

say "the engine alone: 10 MB each way over a lossy simulated link"
"$BUILD/xtcp-sim" --bytes 10M --loss 0.05 --dup 0.02 --reorder 0.05 --corrupt 0.01 --sack --ts --wscale --seed 7
