#!/usr/bin/env bash
# xtcpd on a veth in test host b, Linux TCP in host a: the built-in services
# over IPv4 and IPv6, bulk data both ways with SHA-256, many short
# connections, Linux traffic beside it, xtcpctl, SIGHUP, SIGKILL and restart,
# and a program attached beforehand with xdp-loader adopted by xtcpd.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

XTCPD=$BUILD/xtcpd
CTL=$BUILD/xtcpctl
BIG_MB=${XTCPD_TEST_BIG_MB:-1024}
SHORT_CONNS=${XTCPD_TEST_SHORT:-1000}

require_netns xtcpd

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifa=$(topo_ifname a b)
ifb=$(topo_ifname b a)
b4=$(topo_addr b a 4)
b6=$(topo_addr b a 6)
topo_tx_off a
# Frames b sends from its AF_XDP socket arrive at a through veth's XDP path:
# a's side needs a program of its own.
topo_exec a ip link set dev "$ifa" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp

tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"
sock=$tmp/xtcpd.sock
conf=$tmp/xtcpd.conf

write_conf() { # ATTACH [extra tunables lines]
	cat >"$conf" <<EOF
[daemon]
log_level = info
control_socket = $sock
attach = $1
[interface $ifb]
queues = 1
[tunables]
tcp_time_wait_interval = 1000
tcp_trace = 1
${2:-}
[service echo]
port = 7
address = $b4, $b6
[service discard]
port = 9
address = $b4, $b6
[service chargen]
port = 19
address = $b4, $b6
EOF
}

# Start xtcpd in b. Not inside check: topo_bg and XPID must be set in this
# shell. Then check "... starts" xtcpd_ready.
XPID=
start_xtcpd() {
	topo_bg b "$XTCPD" -c "$conf" >>"$tmp/xtcpd.log" 2>&1
	XPID=$TOPO_BG_PID
}

xtcpd_ready() {
	topo_wait 10 "$CTL" -s "$sock" status >/dev/null && kill -0 "$XPID"
}

stop_xtcpd() { # SIGNAL
	[ -n "$XPID" ] || return 0
	kill -"$1" "$XPID" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$XPID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$XPID" 2>/dev/null
}

echo_line() { # ADDR
	local got
	got=$(echo "hello $1" | topo_exec a timeout 10 nc -N -w 5 "$1" 7)
	[ "$got" = "hello $1" ] || { echo "got '$got'"; return 1; }
}

chargen_ok() { # ADDR: RFC 864 lines: line k starts at character k
	local got
	got=$(topo_exec a timeout 10 nc -w 3 "$1" 19 | head -c 222 | tr -d '\r')
	[ "$(echo "$got" | sed -n 1p)" = "$(printf ' !"#$%%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg')" ] &&
		[ "$(echo "$got" | sed -n 2p | cut -c1-5)" = '!"#$%' ] ||
		{ echo "got: $(echo "$got" | head -2)"; return 1; }
}

discard_ok() { # ADDR MB
	local before after
	before=$(stat_bytes_in)
	head -c "$(($2 * 1000000))" /dev/zero | topo_exec a timeout 60 nc -N -w 10 "$1" 9 || return 1
	for _ in $(seq 50); do
		after=$(stat_bytes_in)
		[ "$after" -ge $((before + $2 * 1000000)) ] && return 0
		sleep 0.1
	done
	echo "bytes_in went from $before to $after"
	return 1
}

stat_bytes_in() {
	"$CTL" -s "$sock" stats --json | grep -o '"bytes_in": *[0-9]*' | tr -dc 0-9
}

ctl_get_is() { # NAME VALUE
	[ "$("$CTL" -s "$sock" get "$1")" = "$2" ]
}

ctl_set_get() { # NAME VALUE
	"$CTL" -s "$sock" set "$1" "$2" && ctl_get_is "$1" "$2"
}

hup_reload() {
	kill -HUP "$XPID" && topo_wait 3 ctl_get_is tcp_keepalive_interval 3600000
}

bulk_echo() { # ADDR MB: send MB through echo, read it all back, compare
	head -c "$(($2 * 1000000))" /dev/urandom >"$tmp/big"
	want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
	got=$(topo_exec a timeout 600 nc -N -w 20 "$1" 7 <"$tmp/big" | sha256sum | cut -d' ' -f1)
	rm -f "$tmp/big"
	[ "$want" = "$got" ] || { echo "sha256 $got, want $want"; return 1; }
}

short_conns() { # ADDR N: N sequential connections, one line each
	local ok=0 i
	for i in $(seq "$2"); do
		[ "$(echo "$i" | topo_exec a timeout 5 nc -N -w 3 "$1" 7)" = "$i" ] && ok=$((ok + 1))
	done
	[ "$ok" -eq "$2" ] || { echo "$ok of $2 echoed"; return 1; }
}

# chargen to Linux: most of Linux's pure ACKs are absorbed in XDP (the fast
# path); some may reach the daemon (veth spreads one flow's ACKs over its
# receive queues, and a reordered one that is not older is its business).
acks_absorbed() {
	local j share
	topo_exec a sh -c "timeout 60 nc '$b4' 19 | head -c 100000000 >/dev/null" || return 1
	j=$("$CTL" -s "$sock" stats --json)
	share=$(echo "$j" | tr -d ' \n' | grep -o '"acks":{[^}]*}' | grep -o '"share":[0-9.e-]*' | cut -d: -f2)
	awk -v s="${share:-0}" 'BEGIN { exit !(s >= 0.5) }' || {
		echo "share of ACKs absorbed: ${share:-none}"
		return 1
	}
}

# XDP verified the TCP checksums of what it sent to the stack and said so in
# the frame's metadata: userspace trusts it instead of verifying again.
csum_once() {
	local j rx xdp
	j=$("$CTL" -s "$sock" stats --json | tr -d ' \n')
	rx=$(echo "$j" | grep -o '"datapath":{[^}]*}' | grep -o '"rx_frames":[0-9]*' | cut -d: -f2)
	xdp=$(echo "$j" | grep -o '"datapath":{[^}]*}' | grep -o '"rx_csum_xdp":[0-9]*' | cut -d: -f2)
	awk -v r="${rx:-0}" -v x="${xdp:-0}" 'BEGIN { exit !(r > 10000 && x >= 0.9 * r) }' || {
		echo "frames ${rx:-none}, checksum verified by XDP ${xdp:-none}"
		return 1
	}
}

# A Linux reader killed while chargen floods it closes with unread data:
# Linux resets the connection, and xtcpd (tcp_trace = 1) logs its segments.
rst_traced() {
	topo_exec a timeout 2 nc "$b4" 19 >/dev/null
	topo_wait 10 grep -q "rst trace: " "$tmp/xtcpd.log"
}

linux_tcp_ok() { # ADDR PORT: a Linux listener in b still gets TCP
	topo_bg b sh -c "nc -l '$1' '$2' >'$tmp/linux.$2'"
	topo_wait_listen b "$2" || return 1
	echo "to linux $2" | topo_exec a nc -N -w 3 "$1" "$2" || return 1
	topo_wait 3 grep -q "to linux $2" "$tmp/linux.$2"
}

xdp_attached() { # is any XDP program on b's interface?
	topo_exec b ip -d link show dev "$ifb" | grep -q 'prog/xdp'
}

xdp_gone() { ! xdp_attached; }

# A service on an address b does not have: xtcpd refuses to start.
refuses_foreign_address() {
	local out
	sed "s/^address = $b4, $b6\$/address = 198.18.99.99/" "$conf" >"$tmp/bad.conf"
	out=$(topo_exec b timeout 10 "$XTCPD" -c "$tmp/bad.conf" 2>&1) && return 1
	echo "$out" | grep -q "Cannot assign requested address" || { echo "$out"; return 1; }
	xdp_gone
}

write_conf self
check "a service on a foreign address is refused (EADDRNOTAVAIL)" refuses_foreign_address
start_xtcpd
check "xtcpd starts (attach = self)" xtcpd_ready
check "xtcpctl status" sh -c "'$CTL' -s '$sock' status | grep -q native"
check "echo over IPv4 from Linux nc" echo_line "$b4"
check "echo over IPv6 from Linux nc" echo_line "$b6"
check "chargen over IPv4 (RFC 864 pattern)" chargen_ok "$b4"
check "chargen over IPv6" chargen_ok "$b6"
check "chargen 100 MB to Linux: most ACKs absorbed in XDP" acks_absorbed
check "tcp_trace logs the segments of connections ended by RST" rst_traced
check "discard over IPv4, 50 MB" discard_ok "$b4" 50
check "discard over IPv6, 50 MB" discard_ok "$b6" 50
check "TCP checksums verified once, in XDP (frame metadata)" csum_once
check "echo ${BIG_MB} MB each way, sha256 (IPv4)" bulk_echo "$b4" "$BIG_MB"
check "echo 100 MB each way, sha256 (IPv6)" bulk_echo "$b6" 100
check "$SHORT_CONNS sequential short connections" short_conns "$b4" "$SHORT_CONNS"
check "Linux ping v4 beside xtcpd" topo_exec a ping -c 2 -i 0.2 -W 2 "$b4"
check "Linux ping v6 beside xtcpd" topo_exec a ping -c 2 -i 0.2 -W 2 "$b6"
check "Linux TCP on another port (22) beside xtcpd" linux_tcp_ok "$b4" 22
check "xtcpctl conns" sh -c "'$CTL' -s '$sock' conns --json | grep -q '\"conns\"'"
check "xtcpctl get" ctl_get_is tcp_sack_permitted 2
check "xtcpctl set rejects a bad value" sh -c "! '$CTL' -s '$sock' set tcp_sack_permitted 7"
check "xtcpctl set" ctl_set_get tcp_ecn_permitted 2
write_conf self "tcp_keepalive_interval = 3600000"
check "SIGHUP re-reads the tunables" hup_reload

check "SIGKILL" stop_xtcpd KILL
start_xtcpd
check "restart after SIGKILL" xtcpd_ready
check "echo after restart" echo_line "$b4"
check "SIGTERM stops xtcpd" stop_xtcpd TERM
check "SIGTERM detached the program xtcpd attached" xdp_gone
check "control socket removed" test ! -e "$sock"

# Attached beforehand with xdp-loader: xtcpd adopts it and leaves it there.
check "xdp-loader load" topo_exec b xdp-loader load -m native "$ifb" "$BUILD/bpf/xtcp.bpf.o" -s xdp
write_conf external
start_xtcpd
check "xtcpd adopts it (attach = external)" xtcpd_ready
check "echo through the adopted program" echo_line "$b4"
check "echo v6 through the adopted program" echo_line "$b6"
check "SIGTERM with an adopted program" stop_xtcpd TERM
check "the adopted program stays attached" xdp_attached
topo_exec b xdp-loader unload "$ifb" --all >/dev/null 2>&1
if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log"; then
	fail "xtcpd log clean" "$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log" | head -3)"
else
	pass "xtcpd log clean"
fi
exit 0
