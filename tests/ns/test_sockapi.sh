#!/usr/bin/env bash
# The socket API end to end: xtcpd in test host b serving applications
# linked with libxtcp (the man page's examples, tests/ns/xtcp_tool.c) run
# inside b, against Linux TCP in host a and against each other (connections
# carried inside the daemon). Data with SHA-256, half-close, RST, the
# man page's errors produced for real, applications and xtcpd killed, and a
# hostile client.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/xtcpd_app.sh"

XTCPD=$BUILD/xtcpd
TOOL=$BUILD/tests/ns/xtcp_tool
SERVER=$BUILD/xtcp-example-server
CLIENT=$BUILD/xtcp-example-client
BT=$BUILD/benchtool
BTX=$BUILD/benchtool-xtcp
BULK_MB=${SOCKAPI_TEST_BULK_MB:-100}
SHORT_CONNS=${SOCKAPI_TEST_SHORT:-1000}

if [ "$(id -u)" -ne 0 ]; then
	skip sockapi "needs root"
	exit 0
fi
if ! ip netns add "xtprobe$$" 2>/dev/null; then
	skip sockapi "network namespaces unsupported"
	exit 0
fi
ip netns del "xtprobe$$"

xtcpd_app_topo || exit 1

xtcpd_app_start b "$ifb" tcp_time_wait_interval=1000
check "xtcpd starts with an application socket" topo_wait 10 test -S "$XTCP_APP_SOCKET"

in_b() { topo_exec b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$@"; }

# Linux TCP in a, by python3: a server that reads to the end and answers,
# or sends a line, or resets.
cat >"$tmp/pyserve.py" <<'EOF'
import socket, sys, struct
addr, port, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port)); s.listen(8)
open(out + '.ready', 'w').close()
c, _ = s.accept()
res = ''
try:
    if mode == 'half':           # read to EOF, then answer
        n = 0
        while True:
            d = c.recv(65536)
            if not d: break
            n += len(d)
        c.sendall(b'got %d\n' % n); c.close(); res = 'got %d' % n
    elif mode == 'rst':          # read until RST
        try:
            while c.recv(65536): pass
            res = 'EOF'
        except ConnectionResetError:
            res = 'RST'
    elif mode == 'reset':        # abortive close from Linux
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        import time; time.sleep(0.5); c.close(); res = 'reset'
    elif mode == 'idle':         # hold the connection, neither read nor write
        import time; time.sleep(30)
except Exception as e:
    res = type(e).__name__
open(out, 'w').write(res + '\n')
EOF
pyserve() { # ADDR PORT MODE OUTFILE
	topo_bg a python3 "$tmp/pyserve.py" "$@"
}

pyclient_half() { # ADDR PORT BYTES: send, shutdown(WR), print the answer
	topo_exec a python3 - "$@" <<'EOF'
import socket, sys
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((addr, port), timeout=10)
s.sendall(b'y' * n); s.shutdown(socket.SHUT_WR)
r = b''
while True:
    d = s.recv(65536)
    if not d: break
    r += d
print(r.decode().strip())
EOF
}

wait_file() { topo_wait "${2:-5}" test -s "$1"; }

# --- the man page's examples ------------------------------------------------

example_server_linux_clients() {
	local out=$tmp/server.out
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" stdbuf -oL "$SERVER" 8080 $'hello\n' >"$out" 2>&1
	topo_wait 5 grep -q '^waiting for clients...$' "$out" || { cat "$out"; return 1; }
	for addr in "$b4" "$b6" "$b4" "$b6" "$b4"; do
		got=$(topo_exec a timeout 5 nc -w 3 "$addr" 8080 </dev/null)
		[ "$got" = hello ] || { echo "nc $addr got '$got': $(tr '\n' '|' <"$out")"; return 1; }
	done
	topo_wait 5 grep -q '^finished.$' "$out" || { cat "$out"; return 1; }
	[ "$(grep -cE '^sent 6 bytes to \[::ffff:198\.18\.0\.1\]:[0-9]+$' "$out")" = 3 ] &&
		[ "$(grep -cE '^sent 6 bytes to \[2001:db8::1\]:[0-9]+$' "$out")" = 2 ] &&
		[ "$(wc -l <"$out")" = 7 ] || { cat "$out"; return 1; }
}

example_client_linux_server() { # CONNECT-TO LISTEN-ADDR PORT
	topo_bg a sh -c "echo hello | nc -N -l '$2' '$3'"
	topo_wait_listen a "$3" || return 1
	got=$(in_b timeout 5 "$CLIENT" "$1" "$3" 2>&1)
	[ "$got" = hello ] || { echo "client printed '$got'"; return 1; }
}

examples_local() { # both ends on xtcp
	local out=$tmp/local.out
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" stdbuf -oL "$SERVER" 8081 $'hello\n' >"$out" 2>&1
	topo_wait 5 grep -q '^waiting' "$out" || return 1
	for addr in 127.0.0.1 ::1 "$b4" "$b6" ::ffff:127.0.0.1; do
		got=$(in_b timeout 5 "$CLIENT" "$addr" 8081 2>&1)
		[ "$got" = hello ] || { echo "client to $addr printed '$got'"; return 1; }
	done
	topo_wait 5 grep -q '^finished.$' "$out" || { cat "$out"; return 1; }
	grep -qE '^sent 6 bytes to \[::ffff:127\.0\.0\.1\]:[0-9]+$' "$out" &&
		grep -qE '^sent 6 bytes to \[::1\]:[0-9]+$' "$out" ||
		{ cat "$out"; return 1; }
}

# --- data -------------------------------------------------------------------

make_big() {
	[ -f "$tmp/big" ] || head -c "$((BULK_MB * 1000000))" /dev/urandom >"$tmp/big"
	sha256sum <"$tmp/big" | cut -d' ' -f1
}

bulk_to_linux() { # ADDR PORT
	local want got
	want=$(make_big)
	rm -f "$tmp/recv"
	topo_bg a sh -c "nc -l '$1' '$2' >'$tmp/recv'"
	topo_wait_listen a "$2" || return 1
	in_b timeout 120 "$TOOL" nc "$1" "$2" -N <"$tmp/big" >/dev/null || return 1
	topo_wait 30 sh -c "[ \$(stat -c %s '$tmp/recv') -ge $((BULK_MB * 1000000)) ]"
	sleep 0.2
	got=$(sha256sum <"$tmp/recv" | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "sha256 $got, want $want"; return 1; }
}

bulk_from_linux() { # ADDR PORT
	local want got
	want=$(make_big)
	rm -f "$tmp/recv"
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" serve "$2" 1 >"$tmp/recv"
	topo_wait 5 grep -q listening "$tmp/recv" || return 1
	topo_exec a timeout 120 nc -N "$1" "$2" <"$tmp/big" || return 1
	topo_wait 30 sh -c "[ \$(stat -c %s '$tmp/recv') -ge $((BULK_MB * 1000000 + 10)) ]"
	sleep 0.2
	got=$(tail -c +11 "$tmp/recv" | sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "sha256 $got, want $want"; return 1; }
}

bulk_local() { # both ends on xtcp, both ways at once through echo
	local want got
	want=$(make_big)
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" echo 9300 1 >/dev/null
	sleep 0.3
	got=$(in_b timeout 120 "$TOOL" nc 127.0.0.1 9300 -N <"$tmp/big" | sha256sum | cut -d' ' -f1)
	[ "$want" = "$got" ] || { echo "sha256 $got, want $want"; return 1; }
}

short_conns() { # N connections from Linux, one line each
	local ok=0 i
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" echo 9100 "$1" >"$tmp/short.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/short.out" || return 1
	for i in $(seq "$1"); do
		[ "$(echo "$i" | topo_exec a timeout 5 nc -N -w 3 "$b4" 9100)" = "$i" ] && ok=$((ok + 1))
	done
	[ "$ok" -eq "$1" ] || { echo "$ok of $1 echoed"; return 1; }
}

half_close_xtcp_first() {
	rm -f "$tmp/half"
	pyserve "$a4" 9201 half "$tmp/half"
	wait_file "$tmp/half.ready" || true
	topo_wait 5 test -e "$tmp/half.ready" || return 1
	got=$(in_b timeout 10 "$TOOL" halfclient "$a4" 9201 100000)
	[ "$got" = "got 100000" ] || { echo "got '$got'"; return 1; }
}

half_close_linux_first() {
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" halfserve 9202 >"$tmp/hs.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/hs.out" || return 1
	got=$(pyclient_half "$b6" 9202 77777)
	[ "$got" = "got 77777" ] || { echo "got '$got'"; return 1; }
}

abort_is_rst() {
	rm -f "$tmp/rst"
	pyserve "$a4" 9203 rst "$tmp/rst"
	topo_wait 5 test -e "$tmp/rst.ready" || return 1
	in_b timeout 5 "$TOOL" abort "$a4" 9203 || return 1
	wait_file "$tmp/rst" && [ "$(cat "$tmp/rst")" = RST ] ||
		{ echo "Linux saw '$(cat "$tmp/rst" 2>/dev/null)'"; return 1; }
}

# --- the benchmark's loads (tools/benchtool) ----------------------------------

# benchtool-xtcp's server in b on port 9500, started once for the checks
# below (check runs each in a subshell).
bench_server() {
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$BTX" server 9500 >"$tmp/bt.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/bt.out" || { cat "$tmp/bt.out"; return 1; }
}

# 64-byte ping-pong on one TCP_NODELAY connection: every answer comes (a
# lost kick or wakeup stalls it for good; the whole run takes well under 1 s).
rr_complete() { # HOST BIN ADDR
	local out
	out=$(topo_exec "$1" env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" timeout 15 "$2" rr "$3" 9500 2000 10)
	case $out in
	msgs=2000\ *) ;;
	*) echo "got '$out'"; return 1 ;;
	esac
}

# Sequential connect/request/close from one process, the server closing
# first (its side in TIME-WAIT): slots and ring memory come back at close.
crr_complete() { # HOST BIN ADDR
	local out
	out=$(topo_exec "$1" env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" timeout 60 "$2" crr "$3" 9500 3000 50)
	case $out in
	conns=3000\ failed=0\ *) ;;
	*) echo "got '$out'"; return 1 ;;
	esac
}

# --- the man page's errors ----------------------------------------------------

is() { # WANT CMD...: CMD's output is WANT
	local want=$1 got
	shift
	got=$("$@" 2>/dev/null)
	[ "$got" = "$want" ] || { echo "got '$got', want '$want'"; return 1; }
}

econnreset() {
	rm -f "$tmp/reset"
	pyserve "$a4" 9204 reset "$tmp/reset"
	topo_wait 5 test -e "$tmp/reset.ready" || return 1
	got=$(in_b timeout 5 "$TOOL" hold "$a4" 9204 read | tail -1)
	[ "${got%% *}" = ECONNRESET ] || { echo "got '$got'"; return 1; }
}

eaddrinuse() {
	local hold=$tmp/hold
	rm -f "$hold.out"
	mkfifo "$hold.in" 2>/dev/null
	topo_bg b sh -c "env XTCP_APP_SOCKET='$XTCP_APP_SOCKET' '$TOOL' bind 4 0.0.0.0 9400 hold <'$hold.in' >'$hold.out'"
	exec 7>"$hold.in"
	topo_wait 5 grep -q ok "$hold.out" || { exec 7>&-; return 1; }
	is "error: EADDRINUSE" in_b "$TOOL" bind 4 "$b4" 9400 &&
		is "error: EADDRINUSE" in_b "$TOOL" bind 6 :: 9400 &&
		is "ok" in_b "$TOOL" bind 4 "$b4" 9400 reuse &&
		is "ok" in_b "$TOOL" bind 6 :: 9400 v6only
	local rc=$?
	exec 7>&-
	return $rc
}

as_nobody() {
	topo_exec b setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$@"
}

# --- robustness ------------------------------------------------------------

nbconnect_refused() {
	local got
	got=$(in_b "$TOOL" nbconnect "$a4" 9998)
	# The second connect finds the attempt in progress (EALREADY) or
	# already refused (the pending error); SO_ERROR has it if left.
	case $got in
	"EINPROGRESS EALREADY ECONNREFUSED" | "EINPROGRESS ECONNREFUSED 0") ;;
	*) echo "got '$got'"; return 1 ;;
	esac
}

app_killed() {
	local pid
	rm -f "$tmp/victim"
	pyserve "$a4" 9205 rst "$tmp/victim"
	topo_wait 5 test -e "$tmp/victim.ready" || return 1
	# exec all the way: the background pid is the application's.
	topo_bg b sh -c "exec env XTCP_APP_SOCKET='$XTCP_APP_SOCKET' '$TOOL' nc '$a4' 9205 </dev/zero >/dev/null"
	pid=$TOPO_BG_PID
	sleep 1
	kill -0 "$pid" || { echo "the application is not running"; return 1; }
	kill -KILL "$pid"
	wait_file "$tmp/victim" 5 && [ "$(cat "$tmp/victim")" = RST ] ||
		{ echo "Linux saw '$(cat "$tmp/victim" 2>/dev/null)'"; return 1; }
	kill -0 "$XPID" || { echo "xtcpd died"; return 1; }
	is ok in_b "$TOOL" bind 4 0.0.0.0 9206 &&
		example_client_linux_server "$a4" "$a4" 9207
}

hostile() {
	in_b timeout 20 "$TOOL" hostile "$XTCP_APP_SOCKET" "$a4" 9208 | grep -q 'hostile ok' || {
		in_b timeout 20 "$TOOL" hostile "$XTCP_APP_SOCKET" "$a4" 9208
		return 1
	}
	kill -0 "$XPID" || { echo "xtcpd died"; return 1; }
	example_client_linux_server "$a4" "$a4" 9209
}

xtcpd_killed() {
	rm -f "$tmp/idle1" "$tmp/idle2"
	pyserve "$a4" 9210 idle "$tmp/idle1"
	pyserve "$a4" 9211 idle "$tmp/idle2"
	topo_wait 5 test -e "$tmp/idle1.ready" -a -e "$tmp/idle2.ready" || return 1
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" hold "$a4" 9210 read >"$tmp/r.out" 2>&1
	topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$TOOL" hold "$a4" 9211 write >"$tmp/w.out" 2>&1
	topo_wait 10 grep -q blocked "$tmp/r.out" || { cat "$tmp/r.out"; return 1; }
	topo_wait 10 grep -q blocked "$tmp/w.out" || { cat "$tmp/w.out"; return 1; }
	sleep 0.5
	local t0
	t0=$(date +%s%3N)
	kill -KILL "$XPID"
	topo_wait 2 sh -c "[ \$(wc -l <'$tmp/r.out') -ge 2 ] && [ \$(wc -l <'$tmp/w.out') -ge 2 ]" ||
		{ echo "still blocked: $(cat "$tmp/r.out" "$tmp/w.out")"; return 1; }
	r=$(tail -1 "$tmp/r.out")
	w=$(tail -1 "$tmp/w.out")
	# ERRNO MS-BLOCKED WALL-CLOCK-AT-RETURN
	[ "${r%% *}" = ECONNRESET ] && [ $((${r##* } - t0)) -lt 1000 ] &&
		{ [ "${w%% *}" = EPIPE ] || [ "${w%% *}" = ECONNRESET ]; } &&
		[ $((${w##* } - t0)) -lt 1000 ] ||
		{ echo "killed at $t0; read: '$r' write: '$w'"; return 1; }
}

check "man page Example 2 (xtcp server), Linux nc clients over IPv4 (mapped) and IPv6" example_server_linux_clients
check "man page Example 1 (xtcp client), Linux server, IPv4" example_client_linux_server "$a4" "$a4" 9001
check "man page Example 1, Linux server, IPv6" example_client_linux_server "$a6" "$a6" 9002
check "man page Example 1, Linux server, IPv4-mapped on AF_INET6" example_client_linux_server "::ffff:$a4" "$a4" 9003
check "both ends on xtcp (127.0.0.1, ::1, own addresses, ::ffff:127.0.0.1)" examples_local
check "$BULK_MB MB xtcp -> Linux, sha256 (IPv4)" bulk_to_linux "$a4" 9010
check "$BULK_MB MB Linux -> xtcp, sha256 (IPv6)" bulk_from_linux "$b6" 9011
check "$BULK_MB MB each way inside the daemon, sha256" bulk_local
check "$SHORT_CONNS short connections from Linux" short_conns "$SHORT_CONNS"
check "benchtool-xtcp server" bench_server
check "2000 64-byte round trips, xtcp server, Linux client" rr_complete a "$BT" "$b4"
check "2000 64-byte round trips, both ends on xtcp" rr_complete b "$BTX" "$b4"
check "3000 connect/request/close, xtcp server, Linux client" crr_complete a "$BT" "$b4"
check "3000 connect/request/close from one xtcp process to another" crr_complete b "$BTX" 127.0.0.1
check "half-close, xtcp first (shutdown SHUT_WR, then read)" half_close_xtcp_first
check "half-close, Linux first (read to EOF, then write)" half_close_linux_first
check "abortive close (SO_LINGER 0) is a RST to Linux" abort_is_rst
check "ECONNREFUSED" is "error: ECONNREFUSED" in_b "$TOOL" connect "$a4" 9999
check "ECONNRESET" econnreset
check "EADDRINUSE (wildcard vs specific, SO_REUSEADDR, IPV6_V6ONLY)" eaddrinuse
check "EADDRNOTAVAIL" is "error: EADDRNOTAVAIL" in_b "$TOOL" bind 4 198.18.99.99 5000
check "EACCES for uid nobody below tcp_smallest_nonpriv_port" is "error: EACCES" as_nobody "$TOOL" bind 4 0.0.0.0 80
check "uid nobody may bind above it" is "ok" as_nobody "$TOOL" bind 4 0.0.0.0 5001
pyserve "$a4" 9212 idle "$tmp/eisconn"
topo_wait 5 test -e "$tmp/eisconn.ready"
check "EISCONN (connect twice)" is "error: EISCONN" in_b "$TOOL" connect "$a4" 9212 twice
check "non-blocking connect: EINPROGRESS, EALREADY, SO_ERROR ECONNREFUSED" nbconnect_refused
check "an application killed mid-transfer: its connection reset, xtcpd serves others" app_killed
check "a hostile client gets errors, xtcpd survives" hostile
check "xtcpd killed: blocked read ECONNRESET, blocked write EPIPE, within 1 s" xtcpd_killed
if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log"; then
	fail "xtcpd log clean" "$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log" | head -3)"
else
	pass "xtcpd log clean"
fi
exit 0
