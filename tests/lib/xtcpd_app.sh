# shellcheck shell=bash
# One xtcpd with an application socket in a test host, for the namespace
# tests of the socket API (sourced after tests/lib.sh and tools/topo.sh).
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
