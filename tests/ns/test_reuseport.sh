#!/usr/bin/env bash
# Addressing over xtcp (issue 5): SO_REUSEPORT groups, IPV6_V6ONLY and
# SO_REUSEADDR after TIME-WAIT. xtcpd in host b serves libxtcp programs
# (tests/ns/reuse_tool.c) run in b; Linux TCP in host a (python3) connects
# from the wire, and reuse_tool's client connects inside the daemon
# (127.0.0.1, ::1, b's own addresses).
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/xtcpd_app.sh"

XTCPD=$BUILD/xtcpd
TOOL=$BUILD/tests/ns/reuse_tool
CTL=$BUILD/xtcpctl
NCONN=${REUSEPORT_TEST_CONNS:-400}

require_netns reuseport
if ! command -v python3 >/dev/null; then
	skip reuseport "python3 not installed"
	exit 0
fi

xtcpd_app_topo || exit 1

# TIME-WAIT lasts the whole test: the restart checks see it for sure.
xtcpd_app_start b "$ifb" tcp_time_wait_interval=600000
check "xtcpd starts with an application socket" topo_wait 10 test -S "$XTCP_APP_SOCKET"

in_b() { topo_exec b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$@"; }
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
x_conns() { topo_exec b "$CTL" -s "$tmp/xtcpd.sock" conns 2>/dev/null; }
# xtcpd's connections on local port PORT in STATE (any but LISTEN: "!").
n_state() {
	x_conns | awk -v s="$1" -v p=":$2\$" \
		'$2 ~ p && ($1 == s || (s == "!" && $1 != "LISTEN"))' | wc -l
}
at_least() { [ "$(n_state "$1" "$2")" -ge "$3" ]; } # STATE PORT N
none_left() { [ "$(n_state ! "$1")" = 0 ]; }         # PORT

# --- servers ------------------------------------------------------------------

# serve NAME [nobody] FAMILY ADDR PORT TAG [OPT...]: reuse_tool serve in b,
# in the background, its output in $tmp/NAME.out; returns when it listens
# (or failed: then its error is the output's first line).
serve() {
	local name=$1 pre=()
	shift
	if [ "$1" = nobody ]; then
		pre=("${NOBODY[@]}")
		shift
	fi
	rm -f "$tmp/$name.out"
	# shellcheck disable=SC2016
	topo_bg b sh -c 'out=$1; shift; exec "$@" >"$out" 2>"$out.err"' sh \
		"$tmp/$name.out" "${pre[@]}" env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" \
		"$TOOL" serve "$@"
	topo_wait 5 grep -qE '^(listening|error)' "$tmp/$name.out"
}
pid_of() { awk '/^listening/ { print $2; exit }' "$tmp/$1.out"; }
first() { head -1 "$tmp/$1.out" 2>/dev/null; }
stop() { # NAME: SIGTERM, and wait until it is gone
	local pid
	pid=$(pid_of "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	topo_wait 5 sh -c "! kill -0 $pid"
}
listening() { # NAME: it listens, with the options getsockopt reports
	case $(first "$1") in
	listening*) ;;
	*) echo "$1: $(first "$1")"; return 1 ;;
	esac
}
refused() { # WANT NAME ARGS...: serve fails with errno WANT
	local want=$1 name=$2
	shift 2
	serve "$name" "$@"
	local got
	got=$(first "$name")
	stop "$name"
	[ "$got" = "error: $want" ] || { echo "$name got '$got', want $want"; return 1; }
}

# --- Linux clients (python3 in a) ---------------------------------------------

cat >"$tmp/pyclient.py" <<'EOF'
import socket, sys, os, time, select
mode, addrs, port, n = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3]), int(sys.argv[4])

def dial(i):
    a = addrs[i % len(addrs)]
    fam = socket.AF_INET6 if ':' in a else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((a, port))
    return s

def line(s):
    b = b''
    while b'\n' not in b:
        d = s.recv(256)
        if not d:
            break
        b += d
    return b.decode().split('\n')[0] + ('\n' if b'\n' in b else '')

def word(s):
    l = line(s)
    return l.split()[0] if l.strip() else 'EOF'

def count(ws):
    c = {}
    for w in ws:
        c[w] = c.get(w, 0) + 1
    return '\n'.join('%s %d' % (k, c[k]) for k in sorted(c))

def wait_go(go):
    for _ in range(300):
        if os.path.exists(go):
            return
        time.sleep(0.1)
    sys.exit('no go')

if mode in ('count', 'counteof'):  # N in turn: the first word of each line
    ws = []
    for i in range(n):
        try:
            s = dial(i)
            ws.append(word(s))
            # counteof: close after the server's FIN, its side in TIME-WAIT
            while mode == 'counteof' and s.recv(256):
                pass
            s.close()
        except OSError as e:
            ws.append('error:' + type(e).__name__)
    print(count(ws))
elif mode == 'hold':    # N held; at GO, each echoes; then N more in turn
    ready, go = sys.argv[5], sys.argv[6]
    socks = [dial(i) for i in range(n)]
    tags = [word(s) for s in socks]
    open(ready + '.tmp', 'w').write(count(tags) + '\n')
    os.rename(ready + '.tmp', ready)
    wait_go(go)
    alive = 0
    for s in socks:
        try:
            s.sendall(b'ping\n')
            if line(s) == 'ping\n':
                alive += 1
        except OSError:
            pass
    print('alive %d' % alive)
    ws = []
    for i in range(n):
        try:
            s = dial(i)
            ws.append('new:' + word(s))
            s.close()
        except OSError as e:
            ws.append('error:' + type(e).__name__)
    print(count(ws))
    print('done')
elif mode == 'queue':   # N connected, nothing read; at GO, what became of each
    ready, go = sys.argv[5], sys.argv[6]
    socks = [dial(i) for i in range(n)]
    open(ready, 'w').close()
    wait_go(go)
    ws = []
    for s in socks:
        try:
            # A RST lost on the way is sent again for this segment.
            s.sendall(b'x')
            ws.append(word(s))
        except ConnectionResetError:
            ws.append('RST')
        except OSError as e:
            ws.append('error:' + type(e).__name__)
    print(count(ws))
    print('done')
EOF
py() { topo_exec a timeout 120 python3 "$tmp/pyclient.py" "$@"; }
# The count of WORD in "WORD N" lines (0 if absent).
cnt() { awk -v w="$1" '$1 == w { print $2; f = 1 } END { if (!f) print 0 }'; }
# xtcp's client in b, inside the daemon.
xcount() { in_b timeout 60 "$TOOL" count "$@"; }

# --- SO_REUSEPORT ---------------------------------------------------------------

TAGS="A B C D"
group() { # 4 dual-stack listeners on [::]:9600, all with SO_REUSEPORT
	local t
	for t in $TAGS; do
		serve "$t" 6 :: 9600 "$t" reuseport || { cat "$tmp/$t.out"; return 1; }
		[ "$(first "$t")" = "listening $(pid_of "$t") reuseport=1 v6only=0" ] ||
			{ echo "$t: $(first "$t")"; return 1; }
	done
}

spread() { # COUNTS WANT-TOTAL [PREFIX]: each of A..D got some, total exact
	local out=$1 want=$2 prefix=${3:-} t n total=0
	for t in $TAGS; do
		n=$(echo "$out" | cnt "$prefix$t")
		[ "$n" -gt 0 ] || { echo "$t got none: $(echo "$out" | tr '\n' ' ')"; return 1; }
		total=$((total + n))
	done
	[ "$total" = "$want" ] || { echo "total $total of $want: $(echo "$out" | tr '\n' ' ')"; return 1; }
}

served_total() { # the servers' own count of connections
	local t n=0
	for t in $TAGS; do
		n=$((n + $(grep -c '^conn ' "$tmp/$t.out")))
	done
	echo "$n"
}

linux_spread() {
	local out before after
	before=$(served_total)
	out=$(py count "$b4,$b6" 9600 "$NCONN") || return 1
	spread "$out" "$NCONN" || return 1
	after=$(served_total)
	[ $((after - before)) = "$NCONN" ] || { echo "servers counted $((after - before))"; return 1; }
}

local_spread() {
	local addr out
	for addr in 127.0.0.1 ::1 "$b4" "$b6"; do
		out=$(xcount "$addr" 9600 100) || return 1
		spread "$out" 100 || { echo "to $addr"; return 1; }
	done
}

nobody_group() { # another uid: EADDRINUSE on 9600, a group of its own on 9602
	refused EADDRINUSE N0 nobody 6 :: 9600 N0 reuseport &&
		refused EADDRINUSE N0 nobody 4 0.0.0.0 9600 N0 reuseport &&
		serve N1 nobody 4 0.0.0.0 9602 N1 reuseport && listening N1 &&
		serve N2 nobody 4 0.0.0.0 9602 N2 reuseport && listening N2 &&
		refused EADDRINUSE R0 4 0.0.0.0 9602 R0 reuseport || return 1
	local out
	out=$(py count "$b4" 9602 40) || return 1
	[ "$(echo "$out" | cnt N1)" -gt 0 ] && [ "$(echo "$out" | cnt N2)" -gt 0 ] &&
		[ $(($(echo "$out" | cnt N1) + $(echo "$out" | cnt N2))) = 40 ] ||
		{ echo "nobody's group: $(echo "$out" | tr '\n' ' ')"; return 1; }
	stop N1 && stop N2
}

close_one() { # A's listener closes: all held connections go on, new ones skip A
	local out held
	rm -f "$tmp/held" "$tmp/go"
	topo_bg a sh -c "timeout 120 python3 '$tmp/pyclient.py' hold '$b4,$b6' 9600 80 '$tmp/held' '$tmp/go' >'$tmp/hold.out' 2>&1"
	topo_wait 30 test -s "$tmp/held" || { cat "$tmp/hold.out"; return 1; }
	held=$(cat "$tmp/held")
	spread "$held" 80 || return 1
	kill -USR1 "$(pid_of A)"
	topo_wait 5 grep -q '^closed$' "$tmp/A.out" || { echo "A did not close"; return 1; }
	touch "$tmp/go"
	topo_wait 60 grep -q '^done$' "$tmp/hold.out" || { cat "$tmp/hold.out"; return 1; }
	out=$(cat "$tmp/hold.out")
	[ "$(echo "$out" | cnt alive)" = 80 ] || { echo "held: $held; after: $(echo "$out" | tr '\n' ' ')"; return 1; }
	TAGS="B C D" spread "$out" 80 new: || return 1
	[ "$(echo "$out" | cnt new:A)" = 0 ] || { echo "A still got connections"; return 1; }
}

queue_reset() { # E accepts, F never does; F's listener closes
	local out
	serve E 4 0.0.0.0 9601 E reuseport && listening E &&
		serve F 4 0.0.0.0 9601 F reuseport noaccept && listening F || return 1
	rm -f "$tmp/qready" "$tmp/qgo"
	topo_bg a sh -c "timeout 120 python3 '$tmp/pyclient.py' queue '$b4' 9601 60 '$tmp/qready' '$tmp/qgo' >'$tmp/queue.out' 2>&1"
	topo_wait 30 test -e "$tmp/qready" || { cat "$tmp/queue.out"; return 1; }
	kill -USR1 "$(pid_of F)"
	topo_wait 5 grep -q '^closed$' "$tmp/F.out" || { echo "F did not close"; return 1; }
	touch "$tmp/qgo"
	topo_wait 60 grep -q '^done$' "$tmp/queue.out" || { cat "$tmp/queue.out"; return 1; }
	out=$(cat "$tmp/queue.out")
	local e r
	e=$(echo "$out" | cnt E)
	r=$(echo "$out" | cnt RST)
	[ "$e" -gt 0 ] && [ "$r" -gt 0 ] && [ $((e + r)) = 60 ] ||
		{ echo "E $e RST $r: $(echo "$out" | tr '\n' ' ')"; return 1; }
	# E's own connections were not touched: it served each of them.
	[ "$(grep -c '^conn ' "$tmp/E.out")" = "$e" ] || { echo "E served $(grep -c '^conn ' "$tmp/E.out")"; return 1; }
	stop E && stop F
}

# --- IPV6_V6ONLY -------------------------------------------------------------------

is_count() { # WANT-LINE CMD...: the output of CMD is exactly WANT-LINE
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] || { echo "$*: got '$(echo "$got" | tr '\n' ' ')', want '$want'"; return 1; }
}

v6only_alone() {
	serve V6 6 :: 9610 V6 v6only || return 1
	[ "$(first V6)" = "listening $(pid_of V6) reuseport=0 v6only=1" ] || { echo "$(first V6)"; return 1; }
	is_count "V6 5" py count "$b6" 9610 5 &&
		is_count "error:ConnectionRefusedError 5" py count "$b4" 9610 5
}

v6only_alone_inside() {
	is_count "V6 3" xcount ::1 9610 3 &&
		is_count "V6 3" xcount "$b6" 9610 3 &&
		is_count "error:ECONNREFUSED 3" xcount 127.0.0.1 9610 3 &&
		is_count "error:ECONNREFUSED 3" xcount "$b4" 9610 3 &&
		is_count "error:ECONNREFUSED 3" xcount ::ffff:127.0.0.1 9610 3
}

v4_beside_v6only() {
	serve V4 4 0.0.0.0 9610 V4 && listening V4 || return 1
	is_count "V4 5" py count "$b4" 9610 5 &&
		is_count "V6 5" py count "$b6" 9610 5 &&
		is_count "V4 3" xcount 127.0.0.1 9610 3 &&
		is_count "V4 3" xcount "$b4" 9610 3 &&
		is_count "V6 3" xcount ::1 9610 3 &&
		is_count "V6 3" xcount "$b6" 9610 3 || return 1
	stop V4 && stop V6
}

dual_stack() { # [::] without V6ONLY: IPv4 as ::ffff:a.b.c.d; AF_INET refused
	serve DS 6 :: 9611 DS && listening DS || return 1
	[ "$(first DS)" = "listening $(pid_of DS) reuseport=0 v6only=0" ] || { echo "$(first DS)"; return 1; }
	refused EADDRINUSE X1 4 0.0.0.0 9611 X1 &&
		refused EADDRINUSE X2 4 "$b4" 9611 X2 &&
		refused EADDRINUSE X3 4 0.0.0.0 9611 X3 reuseaddr || return 1
	is_count "DS 2" py count "$b4,$b6" 9611 2 &&
		is_count "DS 1" xcount 127.0.0.1 9611 1 || return 1
	grep -qE "^conn \[::ffff:$a4\]:[0-9]+$" "$tmp/DS.out" &&
		grep -qE '^conn \[::ffff:127\.0\.0\.1\]:[0-9]+$' "$tmp/DS.out" ||
		{ echo "DS saw: $(tr '\n' ' ' <"$tmp/DS.out")"; return 1; }
	stop DS
	# The other order: AF_INET first, then [::] without and with V6ONLY.
	serve V4b 4 0.0.0.0 9612 V4b && listening V4b &&
		refused EADDRINUSE X4 6 :: 9612 X4 &&
		serve V6b 6 :: 9612 V6b v6only && listening V6b || return 1
	is_count "V4b 1" py count "$b4" 9612 1 &&
		is_count "V6b 1" py count "$b6" 9612 1 || return 1
	stop V4b && stop V6b
}

mixed_group() { # [::] with SO_REUSEPORT, one v6-only, one dual-stack
	serve G6 6 :: 9613 G6 reuseport v6only && listening G6 || return 1
	is_count "error:ConnectionRefusedError 3" py count "$b4" 9613 3 || return 1
	# The dual-stack one joins: XDP brings IPv4 now, all of it to GD.
	serve GD 6 :: 9613 GD reuseport && listening GD || return 1
	is_count "GD 20" py count "$b4" 9613 20 &&
		is_count "GD 5" xcount 127.0.0.1 9613 5 || return 1
	local out
	out=$(py count "$b6" 9613 40)
	[ "$(echo "$out" | cnt G6)" -gt 0 ] && [ "$(echo "$out" | cnt GD)" -gt 0 ] ||
		{ echo "IPv6: $(echo "$out" | tr '\n' ' ')"; return 1; }
	# It leaves: IPv4 goes back to Linux (refused), IPv6 to G6.
	stop GD || return 1
	is_count "error:ConnectionRefusedError 3" py count "$b4" 9613 3 &&
		is_count "G6 3" py count "$b6" 9613 3 || return 1
	stop G6
}

# --- SO_REUSEADDR and TIME-WAIT -----------------------------------------------------

# A server closing first leaves its connections in TIME-WAIT; restarted, it
# gets its port back only with SO_REUSEADDR (tcp(4P): the wildcard, or the
# connections' own address; another address does not collide).
time_wait_restart() { # PORT ADDR OTHER CLIENT...: CLIENT connects to ADDR
	local port=$1 addr=$2 other=$3 out
	shift 3
	serve TW 4 0.0.0.0 "$port" TW closefirst && listening TW || return 1
	out=$("$@" "$port" 3)
	[ "$(echo "$out" | cnt TW)" = 3 ] || { echo "client: $out"; return 1; }
	topo_wait 10 at_least TIME_WAIT "$port" 3 ||
		{ echo "no TIME-WAIT: $(x_conns | grep ":$port")"; return 1; }
	stop TW || return 1
	refused EADDRINUSE TW2 4 0.0.0.0 "$port" TW2 &&
		refused EADDRINUSE TW2 4 "$addr" "$port" TW2 &&
		refused EADDRINUSE TW2 6 :: "$port" TW2 || return 1
	serve TWo 4 "$other" "$port" TWo && listening TWo && stop TWo || return 1
	at_least TIME_WAIT "$port" 3 || { echo "TIME-WAIT ended during the test"; return 1; }
	serve TW3 4 0.0.0.0 "$port" TW3 reuseaddr closefirst && listening TW3 || return 1
	out=$("$@" "$port" 2)
	[ "$(echo "$out" | cnt TW3)" = 2 ] || { echo "restarted server: $out"; return 1; }
	stop TW3
}

linux_client() { py counteof "$b4" "$@"; }
inside_client() { in_b timeout 60 "$TOOL" count 127.0.0.1 "$@" eof; }

port_comes_back() { # no connection left: the port is free without options
	serve CL 4 0.0.0.0 9622 CL && listening CL || return 1
	local out
	out=$(py count "$b4" 9622 3)
	[ "$(echo "$out" | cnt CL)" = 3 ] || { echo "client: $out"; return 1; }
	# The client closed first: xtcpd's side ends without TIME-WAIT.
	topo_wait 10 none_left 9622 ||
		{ echo "left: $(x_conns | grep ':9622')"; return 1; }
	stop CL || return 1
	serve CL2 4 0.0.0.0 9622 CL2 && listening CL2 && stop CL2
}

check "4 listeners on [::]:9600 with SO_REUSEPORT (getsockopt says 1)" group
check "$NCONN connections from Linux (IPv4, IPv6): each listener gets some, total exact" linux_spread
check "inside the daemon (127.0.0.1, ::1, own addresses): spread too" local_spread
check "without SO_REUSEPORT: EADDRINUSE" refused EADDRINUSE R1 6 :: 9600 R1
check "SO_REUSEADDR is not SO_REUSEPORT: EADDRINUSE" refused EADDRINUSE R2 6 :: 9600 R2 reuseaddr
check "SO_EXCLBIND wins over SO_REUSEPORT: EADDRINUSE" refused EADDRINUSE R3 6 :: 9600 R3 reuseport excl
check "uid nobody: EADDRINUSE on root's group, a group of its own elsewhere" nobody_group
check "one listener closed: every held connection goes on, new ones go to the other three" close_one
check "a closed listener's accept queue is reset, its group's other listener untouched" queue_reset
check "IPV6_V6ONLY [::]: IPv6 from Linux, IPv4 refused" v6only_alone
check "IPV6_V6ONLY [::]: inside the daemon ::1 and own IPv6 only, not 127.0.0.1 nor own IPv4" v6only_alone_inside
check "AF_INET and AF_INET6 IPV6_V6ONLY share a port, each gets its family (wire, inside)" v4_beside_v6only
check "[::] without IPV6_V6ONLY takes IPv4 as ::ffff:a.b.c.d and keeps AF_INET off (both orders)" dual_stack
check "SO_REUSEPORT on [::], v6-only and dual-stack: IPv4 only to the dual-stack one, while it is there" mixed_group
check "TIME-WAIT from Linux connections: restart needs SO_REUSEADDR" time_wait_restart 9620 "$b4" 127.0.0.1 linux_client
check "TIME-WAIT of connections inside the daemon: restart needs SO_REUSEADDR" time_wait_restart 9621 127.0.0.1 "$b4" inside_client
check "no connection left: the port is free again without SO_REUSEADDR" port_comes_back
check "xtcpd still runs" kill -0 "$XPID"
if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log"; then
	fail "xtcpd log clean" "$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log" | head -3)"
else
	pass "xtcpd log clean"
fi
exit 0
