# shellcheck shell=bash
# The topology and the xtcpd of the socket API's namespace tests (sourced
# after tests/lib.sh and tools/topo.sh): a Linux host a and an xtcp host b,
# and one xtcpd with an application socket in b.
#
#   xtcpd_app_start HOST IF [TUNABLE=VALUE]...
#
# Makes $tmp (removed at exit; mode 0755 so that uid nobody reaches the
# application socket in it), exports XTCP_APP_SOCKET, writes
# $tmp/xtcpd.conf (control socket $tmp/xtcpd.sock, log level info, one
# queue on IF, the tunables given) and starts $XTCPD in HOST logging to
# $tmp/xtcpd.log; XPID is its pid. The caller checks it came up.
xtcpd_app_start() {
	local host=$1 ifname=$2 kv
	shift 2
	tmp=$(mktemp -d) || return 1
	topo_defer "rm -rf '$tmp'"
	chmod 755 "$tmp"
	export XTCP_APP_SOCKET=$tmp/app.sock
	{
		printf '[daemon]\nlog_level = info\n'
		printf 'control_socket = %s\napp_socket = %s\n' \
			"$tmp/xtcpd.sock" "$XTCP_APP_SOCKET"
		printf '[interface %s]\nqueues = 1\n[tunables]\n' "$ifname"
		for kv in "$@"; do
			printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"
		done
	} >"$tmp/xtcpd.conf"
	topo_bg "$host" "$XTCPD" -c "$tmp/xtcpd.conf" >>"$tmp/xtcpd.log" 2>&1
	XPID=$TOPO_BG_PID
}

# xtcpd_app_topo: hosts a (Linux, an XDP pass program so it takes XDP_TX
# and redirected frames, tx checksum offload off) and b (for xtcpd) on one
# veth pair; sets ifa, ifb, a4, a6, b4, b6.
xtcpd_app_topo() {
	topo_init && topo_host a && topo_host b && topo_link a b || return 1
	ifa=$(topo_ifname a b)
	ifb=$(topo_ifname b a)
	a4=$(topo_addr a b 4)
	a6=$(topo_addr a b 6)
	b4=$(topo_addr b a 4)
	b6=$(topo_addr b a 6)
	topo_tx_off a &&
		topo_exec a ip link set dev "$ifa" xdpdrv obj \
			"$BUILD/bpf/xdp_pass.bpf.o" sec xdp
}
