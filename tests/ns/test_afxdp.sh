#!/usr/bin/env bash
# AF_XDP end to end (user/io): in host b, afxdp_echo attaches xtcp's XDP
# program (or adopts one attached by `ip link`), binds a port in xtcp_bound
# and answers every SYN arriving on its AF_XDP socket with a RST|ACK built
# by hand. Host a is Linux: its connects must fail with "connection
# refused" at once, over IPv4 and IPv6, although b's kernel has a listener
# on that very port (so the answer can only come from the socket's TX).
# afxdp_echo checks its UMEM invariant on exit (no frame leaked); the test
# checks what it attached is detached and what it pinned is unpinned, and
# that an adopted program and its loader's pins are left in place.
# shellcheck disable=SC2015
# (A && B || C is meant as written.)
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

OBJ=$BUILD/bpf/xtcp.bpf.o
PASS_OBJ=$BUILD/bpf/xdp_pass.bpf.o
ECHO=$BUILD/tests/ns/afxdp_echo
PORT=7000
N=5 # connects per family and phase

require_netns afxdp
for f in "$OBJ" "$PASS_OBJ" "$ECHO"; do
	if [ ! -e "$f" ]; then
		fail afxdp "$f not built"
		exit 0
	fi
done
"$ECHO" -P
case $? in
0) ;;
77)
	skip afxdp "the kernel has no AF_XDP"
	exit 0
	;;
*)
	fail afxdp "afxdp_echo -P failed"
	exit 0
	;;
esac

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifa=$(topo_ifname a b)
ifb=$(topo_ifname b a)
b4=$(topo_addr b a 4)
b6=$(topo_addr b a 6)
# a is a Linux sender facing XDP: without this its checksums stay partial
# (and afxdp_echo, which verifies them, would not answer).
topo_tx_off a

tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"

# b's kernel listens on the port too: a connect that reaches it succeeds.
topo_bg b nc -lk "$b4" "$PORT" >/dev/null 2>&1
topo_bg b nc -6 -lk "$b6" "$PORT" >/dev/null 2>&1
topo_wait_listen b "$PORT" || {
	fail afxdp "kernel listener did not start"
	exit 0
}

# start_echo LOG ARGS...: run afxdp_echo in b and wait for READY (up to
# 10 s). Call directly (topo_bg records state), then check_ready LOG.
echo_pid=
start_echo() {
	local log=$1
	shift
	topo_bg b "$ECHO" -i "$ifb" -p "$PORT" -t 60 "$@" >"$log" 2>&1
	echo_pid=$TOPO_BG_PID
	topo_wait 10 grep -q '^READY' "$log"
}
check_ready() { # LOG PATTERN
	grep -q "$2" "$1" || {
		tail -3 "$1"
		return 1
	}
}

# stop_echo: SIGTERM and reap it (directly: it is this shell's child);
# sets echo_rc. check_exit LOG then looks at it.
echo_rc=
stop_echo() { # LOG
	kill -TERM "$echo_pid" 2>/dev/null
	wait "$echo_pid"
	echo_rc=$?
	echo_pid=
	# Informative: how long opening took, what was counted.
	grep -h '^READY\|^syn=\|^reopen=' "$1" | sed 's/^/  # /'
}
check_exit() { # LOG
	[ "$echo_rc" = 0 ] || {
		echo "exit status $echo_rc: $(tail -2 "$1")"
		return 1
	}
}

# field LOG NAME: NAME=value from the last line holding it.
field() {
	grep -o "\b$2=[^ ]*" "$1" | tail -1 | cut -d= -f2
}

# refused ADDR N: N connects, each refused (by a RST), all within 3 s.
refused() {
	local i out t0 t1
	t0=$(date +%s%N)
	for ((i = 0; i < $2; i++)); do
		out=$(topo_exec a nc -vz -w 2 "$1" "$PORT" 2>&1) && {
			echo "connect $i succeeded: $out"
			return 1
		}
		case $out in *refused*) ;; *)
			echo "connect $i: $out"
			return 1
			;;
		esac
	done
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 3000 ] || {
		echo "took $(((t1 - t0) / 1000000)) ms"
		return 1
	}
}

# Many SYNs at once: batched RX and TX. Each connect must fail (one that
# succeeded reached b's kernel) within nc's 2 s.
burst_refused() { # ADDR N
	local i pid rc=0 pids=()
	for ((i = 0; i < $2; i++)); do
		topo_exec a nc -z -w 2 "$1" "$PORT" >/dev/null 2>&1 &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do
		wait "$pid" && rc=1
	done
	return $rc
}

# load_refused: without -a, afxdp_echo will not replace a program.
load_refused() {
	local out rc
	out=$(topo_exec b "$ECHO" -i "$ifb" -p "$PORT" -t 1 2>&1)
	rc=$?
	[ "$rc" = 1 ] && ! grep -q READY <<<"$out" &&
		grep -q "already has XDP program" <<<"$out" || {
		echo "status $rc: $out"
		return 1
	}
}

connects() { # ADDR: reaches b's kernel listener
	topo_exec a nc -z -w 2 "$1" "$PORT"
}

# summary_ok LOG MIN4 MIN6: every SYN answered, UMEM intact, nothing lost.
summary_ok() {
	local log=$1 syn rst
	syn=$(field "$log" syn) rst=$(field "$log" rst)
	[ "$(field "$log" umem)" = ok ] && [ "$(field "$log" leaked)" = 0 ] &&
		[ "$(field "$log" syn4)" -ge "$2" ] &&
		[ "$(field "$log" syn6)" -ge "$3" ] && [ "$syn" = "$rst" ] &&
		[ "$(field "$log" parse_err)" = 0 ] &&
		[ "$(field "$log" bad)" = 0 ] &&
		[ "$(field "$log" invalid)" = 0 ] || {
		tail -1 "$log"
		return 1
	}
}

xdp_id() { # IF in b: the attached program's id, or nothing
	topo_exec b ip -j link show dev "$1" |
		grep -o '"prog":{[^}]*"id":[0-9]*' | grep -o '[0-9]*$' | head -1
}

pinned() { # NAME...: all under b's /sys/fs/bpf/xtcp
	local n
	for n in "$@"; do
		topo_exec b test -e "/sys/fs/bpf/xtcp/$n" || {
			echo "no /sys/fs/bpf/xtcp/$n"
			return 1
		}
	done
}

check "kernel listener reachable without the XSK (ipv4)" connects "$b4"
check "kernel listener reachable without the XSK (ipv6)" connects "$b6"

# --- 1: afxdp_echo loads and attaches the program itself -----------------
# No XDP program on a's side: frames an AF_XDP socket sends (copy mode)
# are ordinary transmits and need none.
log=$tmp/load.log
start_echo "$log"
check "load: attached natively by us, socket in xsks_map" \
	check_ready "$log" 'READY mode=native adopted=0'

check "load: maps pinned under /sys/fs/bpf/xtcp" \
	pinned xsks_map xtcp_bound xtcp_counters
check "load: ipv4 SYNs answered from the XSK (connection refused)" \
	refused "$b4" "$N"
check "load: ipv6 SYNs answered from the XSK (connection refused)" \
	refused "$b6" "$N"
check "load: burst of 40 ipv4 SYNs all refused" burst_refused "$b4" 40
stop_echo "$log"
check "load: clean exit" check_exit "$log"
check "load: every SYN answered, UMEM invariant holds, no frame leaked" \
	summary_ok "$log" $((N + 40)) "$N"
check "load: program detached on exit" test -z "$(xdp_id "$ifb")"
check "load: pins removed on exit" topo_exec b test ! -e /sys/fs/bpf/xtcp
check "load: kernel listener reachable again" connects "$b4"

# --- 2: adopt a program attached by ip link --------------------------------
# a gets an XDP_PASS program, as a peer of XDP_TX/redirect traffic needs.
check "a: XDP_PASS program attached" topo_exec a ip link set dev "$ifa" \
	xdpdrv obj "$PASS_OBJ" sec xdp
check "adopt: ip link attaches the program" topo_exec b ip link set \
	dev "$ifb" xdpdrv obj "$OBJ" sec xdp
id=$(xdp_id "$ifb")
check "load mode refuses an interface with a program" load_refused
log=$tmp/adopt.log
start_echo "$log" -a
check "adopt: adopted the program ip link attached, socket in its xsks_map" \
	check_ready "$log" "READY mode=native adopted=1 prog=$id "
check "adopt: maps pinned under /sys/fs/bpf/xtcp" \
	pinned xsks_map xtcp_bound xtcp_counters
check "adopt: ipv4 SYNs answered from the XSK (connection refused)" \
	refused "$b4" "$N"
check "adopt: ipv6 SYNs answered from the XSK (connection refused)" \
	refused "$b6" "$N"
check "adopt: burst of 40 ipv6 SYNs all refused" burst_refused "$b6" 40
stop_echo "$log"
check "adopt: clean exit" check_exit "$log"
check "adopt: every SYN answered, UMEM invariant holds, no frame leaked" \
	summary_ok "$log" "$N" $((N + 40))
check "adopt: the adopted program stays attached" test "$(xdp_id "$ifb")" = "$id"
check "adopt: our pins removed, the loader's kept" topo_exec b sh -c \
	'! test -e /sys/fs/bpf/xtcp/xsks_map &&
	 find /sys/fs/bpf -name xtcp_bound | grep -q .'
check "adopt: kernel listener reachable again" connects "$b6"

# --- 3: without need_wakeup, 2048-byte frames, reopened 5 times -----------
# Binding the queue again right after closing its socket meets EBUSY while
# the kernel releases the old one: xio_open retries (bounded).
log=$tmp/nowakeup.log
start_echo "$log" -a -W -f 2048 -R 5
check "no need_wakeup, 2 KiB frames: socket closed and reopened 5 times" \
	check_ready "$log" "^reopen=5 "
check "no need_wakeup: then in xsks_map" \
	check_ready "$log" "READY mode=native adopted=1"
check "no need_wakeup: ipv4 SYNs refused" refused "$b4" "$N"
check "no need_wakeup: ipv6 SYNs refused" refused "$b6" "$N"
stop_echo "$log"
check "no need_wakeup: clean exit" check_exit "$log"
check "no need_wakeup: UMEM invariant holds, no frame leaked" \
	summary_ok "$log" "$N" "$N"

# --- 4: no native XDP (lo): generic mode, logged -----------------------------
generic_fallback() {
	local out rc
	out=$(topo_exec b "$ECHO" -i lo -p "$PORT" -t 0.1 2>&1)
	rc=$?
	[ "$rc" = 0 ] && grep -q 'falling back to generic' <<<"$out" &&
		grep -q 'READY mode=generic adopted=0' <<<"$out" &&
		grep -q 'umem=ok leaked=0' <<<"$out" || {
		echo "status $rc: $out"
		return 1
	}
}
check "lo: native refused, attached in generic mode (logged)" generic_fallback
check "lo: detached on exit" test -z "$(xdp_id lo)"

# --- 5: adopt a program xdp-loader attached (it pins no maps) ----------------
xdploader_attach() {
	topo_exec b ip link set dev "$ifb" xdpdrv off &&
		topo_exec b xdp-loader load -m native "$ifb" "$OBJ"
}
check "xdp-loader: program attached (replacing ip link's)" xdploader_attach
id=$(xdp_id "$ifb")
log=$tmp/xdploader.log
start_echo "$log" -a
check "xdp-loader: adopted, socket in its xsks_map" \
	check_ready "$log" "READY mode=native adopted=1 prog=$id "
check "xdp-loader: maps pinned under /sys/fs/bpf/xtcp" \
	pinned xsks_map xtcp_bound xtcp_counters
check "xdp-loader: ipv4 SYNs refused" refused "$b4" "$N"
check "xdp-loader: ipv6 SYNs refused" refused "$b6" "$N"
stop_echo "$log"
check "xdp-loader: clean exit" check_exit "$log"
check "xdp-loader: UMEM invariant holds, no frame leaked" \
	summary_ok "$log" "$N" "$N"
loader_kept() {
	[ "$(xdp_id "$ifb")" = "$id" ] && topo_exec b test ! -e /sys/fs/bpf/xtcp
}
check "xdp-loader: its program stays attached, our pins are gone" loader_kept
