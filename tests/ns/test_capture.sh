#!/usr/bin/env bash
# xtcp's segments graded on the wire: tcpdump on the Linux peer's interface,
# then tshark's analysis (tests/lib/capture.sh, capture_grade.py) must find
# no malformed packet, no bad checksum, no invalid TCP header or option,
# and no retransmission the link emulator does not explain.
#
# First the grader is shown to fail: crafted captures with a bad checksum,
# bad options and header length, and unexplained retransmissions (and to
# pass the explained ones). Then hosts a (Linux) and b (xtcpd) on a veth
# pair, where nothing may be lost: bulk data each way over IPv4 and IPv6
# (libxtcp's xtcp_tool against Linux nc, SHA-256 checked), short
# connections to xtcpd's echo service, half-close both ways, RST both ways,
# keep-alive probes both ways, urgent data both ways (Python, under
# xtcp-run on b's side). Last, hosts c (Linux) and d (xtcpd) through linkem
# with 1% loss and 0.1% corruption each way: the same bulk transfers must
# show retransmissions, every one explained by linkem's event log and by
# captures of what entered linkem on its two ports (the order frames
# entered it in; and the log itself is checked against them and against
# linkem's counters). CAPTURE_TEST_BULK_MB, _SHORT, _LOSS, _CORRUPT and
# _SEED change the loads; CAPTURE_KEEP=DIR keeps a failing capture.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/capture.sh"

XTCPD=$BUILD/xtcpd
TOOL=$BUILD/tests/ns/xtcp_tool
RUN=$BUILD/xtcp-run
GRADER=$XTCP_ROOT/tests/lib/capture_grade.py
CRAFT=$XTCP_ROOT/tests/lib/capture_craft.py
BULK_MB=${CAPTURE_TEST_BULK_MB:-50}
SHORT=${CAPTURE_TEST_SHORT:-200}
LOSS=${CAPTURE_TEST_LOSS:-1%}
CORRUPT=${CAPTURE_TEST_CORRUPT:-0.1%}
SEED=${CAPTURE_TEST_SEED:-$((RANDOM + 1))}

for t in tcpdump tshark python3; do
	if ! command -v "$t" >/dev/null; then
		skip capture "$t not installed (tools/install-deps.sh)"
		exit 0
	fi
done

# graded NAME CMD...: PASS or FAIL as CMD returns, then the "capture ..."
# summary lines CMD printed (and on failure what it printed about the
# offending frames), indented as comments.
graded() {
	local name=$1 out sum
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then
		pass "$name"
	else
		sum=$(grep -m1 ' FAIL$' "$out" || tail -3 "$out" | tr '\n' ' ')
		fail "$name" "$sum"
	fi
	sed -n -e '/^capture /{s/^/  # /p;d}' -e 's/^  /  #   /p' "$out" |
		head -40
	rm -f "$out"
}

# --- the grader fails what it must (crafted captures) ---------------------

ctmp=$(mktemp -d)
trap 'rm -rf "$ctmp"' EXIT

# crafted SCENARIO WANT [nolog|ingress]: grade capture_craft.py's SCENARIO
# with the local MAC of its host L and its event log (not with "nolog";
# with "ingress" also what entered the emulator); WANT is "pass", or a
# pattern the failure must show (so it fails for the reason it should,
# not another).
crafted() {
	local scn=$1 want=$2 out rc opt=(--lem-log "$ctmp/$1.events")
	case ${3:-} in
	nolog) opt=() ;;
	ingress) opt+=(--ingress "$ctmp/$scn.in.pcap") ;;
	esac
	python3 "$CRAFT" "$scn" "$ctmp/$scn.pcap" "$ctmp/$scn.events" \
		"$ctmp/$scn.in.pcap" || return 1
	out=$(python3 "$GRADER" "$ctmp/$scn.pcap" --name "$scn" \
		--local-mac 02:78:74:00:00:01 --mtu 1500 "${opt[@]}")
	rc=$?
	echo "$out"
	if [ "$want" = pass ]; then
		[ "$rc" = 0 ]
	else
		[ "$rc" = 1 ] && echo "$out" | grep -q -- "$want"
	fi
}

graded "grader: a clean exchange passes" crafted clean pass
graded "grader: a bad TCP checksum fails" crafted badsum 'TCP checksum bad'
graded "grader: a bad IPv4 header checksum fails" \
	crafted badipsum 'IPv4 header checksum bad'
graded "grader: an MSS option of length 3 fails" \
	crafted badopt 'option 2 length 3'
graded "grader: an option running past the header fails" \
	crafted optpast 'runs past the header'
graded "grader: a TCP header length of 16 fails" \
	crafted badhdrlen 'tcp.bogus_header_length'
graded "grader: a retransmission with no emulator fails" \
	crafted retrans 'unexplained retransmission: bytes 1001-2001: the previous copy' nolog
graded "grader: a retransmission nothing lost fails" \
	crafted retrans 'the emulator lost no acknowledgment of them'
graded "grader: a retransmission of a logged loss passes" \
	crafted lost-retrans pass
graded "grader: ... of a loss not in the log fails" \
	crafted lost-unlogged 'never reached the capture and the emulator logged no loss'
graded "grader: resending data the receiver acknowledged fails" \
	crafted acked-retrans 'were acknowledged to the sender in frame 8'
graded "grader: resending data whose ACK the emulator lost passes" \
	crafted ackloss-retrans pass
graded "grader: a frame corrupted by the emulator passes" crafted corrupt pass
graded "grader: ... corrupted but not in the log fails" \
	crafted corrupt-unlogged 'TCP checksum bad'
graded "grader: resending after 5 ms of silence passes (a timer's probe)" \
	crafted timer pass nolog
graded "grader: resending after 200 us, the receiver talking, fails" \
	crafted hasty 'reached the receiver, which then sent frame 8' nolog
graded "grader: resending a segment overtaken before the emulator passes" \
	crafted reordered pass ingress
graded "grader: ... unless what entered the emulator shows it" \
	crafted reordered 'reached the receiver, which then sent frame 9'
graded "grader: resending a lost segment twice on a stale dup ACK passes" \
	crafted stale pass
graded "grader: ... if nothing lost it, fails" \
	crafted stale-unlogged 'its acknowledgment (frame 7) came 50 us before this'

# --- namespaces ---------------------------------------------------------------

require_netns capture

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifa=$(topo_ifname a b)
ifb=$(topo_ifname b a)
a4=$(topo_addr a b 4) a6=$(topo_addr a b 6)
b4=$(topo_addr b a 4) b6=$(topo_addr b a 6)
mac_a=$(topo_mac a b) mac_b=$(topo_mac b a)
# Linux must send whole checksums: XDP in b needs them, and the capture
# sees a's frames before the veth would (not) complete them.
topo_tx_off a
# b's AF_XDP frames reach a through veth's XDP path: a needs a program.
topo_exec a ip link set dev "$ifa" xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp

topo_host c && topo_host d || exit 1
capture_init || exit 1
capture_linkem c d --seed "$SEED" loss "$LOSS" corrupt "$CORRUPT" || exit 1
L=$TOPO_LINK
ifc=$(topo_ifname c d)
ifd=$(topo_ifname d c)
c4=$(topo_addr c d 4) c6=$(topo_addr c d 6)
d4=$(topo_addr d c 4) d6=$(topo_addr d c 6)
read -r lem_c lem_d <<<"$(topo_linkem_ports "$L")"
topo_tx_off c

tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"
chmod 755 "$tmp"

xtcpd_start() { # HOST IFACE ADDR4 ADDR6
	cat >"$tmp/$1.conf" <<EOF
[daemon]
log_level = info
control_socket = $tmp/$1.ctl
app_socket = $tmp/$1.app
[interface $2]
queues = 1
[tunables]
tcp_time_wait_interval = 1000
[service echo]
port = 7
address = $3, $4
EOF
	topo_bg "$1" "$XTCPD" -c "$tmp/$1.conf" >>"$tmp/xtcpd-$1.log" 2>&1
	topo_wait 10 test -S "$tmp/$1.app"
}
check "xtcpd starts in b" xtcpd_start b "$ifb" "$b4" "$b6"
check "xtcpd starts in d (behind linkem)" xtcpd_start d "$ifd" "$d4" "$d6"

# A libxtcp program (or one under xtcp-run) in HOST's xtcpd.
x_exec() { local h=$1; shift; topo_exec "$h" env XTCP_APP_SOCKET="$tmp/$h.app" "$@"; }
x_bg() { local h=$1; shift; topo_bg "$h" env XTCP_APP_SOCKET="$tmp/$h.app" "$@"; }

head -c "$((BULK_MB * 1000000))" /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)

same_sha() { # FILE [SKIP]: FILE (from byte SKIP+1) is $tmp/big
	local got
	topo_wait 60 sh -c "[ \$(stat -c %s '$1') -ge $((BULK_MB * 1000000 + ${2:-0})) ]"
	got=$(tail -c +$((${2:-0} + 1)) "$1" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || { echo "sha256 of $1 differs"; return 1; }
}

# bulk_to_linux LHOST XHOST LADDR PORT: xtcp_tool nc in XHOST sends the
# file to Linux nc -l in LHOST.
bulk_to_linux() {
	rm -f "$tmp/recv"
	topo_bg "$1" sh -c "nc -l '$3' '$4' >'$tmp/recv'"
	topo_wait_listen "$1" "$4" || return 1
	x_exec "$2" timeout 180 "$TOOL" nc "$3" "$4" -N <"$tmp/big" >/dev/null ||
		return 1
	same_sha "$tmp/recv"
}

# bulk_from_linux LHOST XHOST XADDR PORT: Linux nc in LHOST sends the file
# to xtcp_tool serve in XHOST (which prints "listening\n" first).
bulk_from_linux() {
	rm -f "$tmp/recv"
	x_bg "$2" "$TOOL" serve "$4" 1 >"$tmp/recv"
	topo_wait 5 grep -q listening "$tmp/recv" || return 1
	topo_exec "$1" timeout 180 nc -N "$3" "$4" <"$tmp/big" || return 1
	same_sha "$tmp/recv" 10
}

# The counters that tell where a segment went, for a failure's report: the
# Linux host's TCP MIB (what kind of retransmissions it made), the xtcp
# host's XDP verdicts and engine counters, the veth's XDP statistics.
counters() { # LHOST XHOST
	topo_exec "$1" nstat -az | awk '$2 != 0 && $1 ~ /^(Tcp|TcpExt)/ { print "'"$1"'", $1, $2 }'
	topo_exec "$2" "$BUILD/xtcpctl" -s "$tmp/$2.ctl" stats |
		awk '$NF ~ /^[0-9]+$/ && $NF != 0 { print "'"$2"'", $1, $NF }'
	topo_exec "$2" ethtool -S "$(topo_ifname "$2" "$1")" |
		awk '$NF != 0 && /xdp|drop/ { print "'"$2"'", $1, $NF }'
}

# counters_delta BEFORE AFTER: what changed.
counters_delta() {
	awk 'NR == FNR { v[$1 " " $2] = $3; next }
		$3 != v[$1 " " $2] { printf "%s %s +%d\n", $1, $2, $3 - v[$1 " " $2] }' \
		"$1" "$2" | grep -v -E 'Octets|Segs|Pkts|bytes|packets|Passive|Active|Estab|REDIRECT|ACK_' |
		tr '\n' ' '
}

# graded_traffic NAME CAPHOST IFACE CMD... [-- GRADE OPTIONS]: capture on
# IFACE in CAPHOST around CMD, then grade. On failure, which counters of
# the two hosts moved.
graded_traffic() {
	local name=$1 host=$2 ifn=$3 cmd=() rc xhost
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		cmd+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	xhost=b
	[ "$host" = c ] && xhost=d
	counters "$host" "$xhost" >"$tmp/$name.before" 2>/dev/null
	capture_start "$host" "$ifn" "$name" || return 1
	"${cmd[@]}"
	rc=$?
	capture_grade "$name" "$@" || rc=1
	if [ "$rc" -ne 0 ]; then
		counters "$host" "$xhost" >"$tmp/$name.after" 2>/dev/null
		echo "  counters: $(counters_delta "$tmp/$name.before" "$tmp/$name.after")"
	fi
	return "$rc"
}

# --- a veth pair: nothing may be lost ------------------------------------------

graded "$BULK_MB MB xtcp -> Linux, IPv4" \
	graded_traffic bulk_to4 a "$ifa" bulk_to_linux a b "$a4" 9001
graded "$BULK_MB MB Linux -> xtcp, IPv4" \
	graded_traffic bulk_from4 a "$ifa" bulk_from_linux a b "$b4" 9002
graded "$BULK_MB MB xtcp -> Linux, IPv6" \
	graded_traffic bulk_to6 a "$ifa" bulk_to_linux a b "$a6" 9003
graded "$BULK_MB MB Linux -> xtcp, IPv6" \
	graded_traffic bulk_from6 a "$ifa" bulk_from_linux a b "$b6" 9004

short_conns() { # N: Linux nc to xtcpd's echo service, one line each
	local ok=0 i
	for i in $(seq "$1"); do
		[ "$(echo "$i" | topo_exec a timeout 5 nc -N -w 3 "$b4" 7)" = "$i" ] &&
			ok=$((ok + 1))
	done
	[ "$ok" -eq "$1" ] || { echo "$ok of $1 echoed"; return 1; }
}
graded "$SHORT short connections from Linux to xtcpd's echo" \
	graded_traffic short a "$ifa" short_conns "$SHORT" -- \
	--expect "tcp.flags.syn == 1 && tcp.flags.ack == 1 && eth.src == $mac_b"

# The Linux side's programs, and xtcp's under xtcp-run.
cat >"$tmp/peer.py" <<'EOF'
import socket, struct, sys, time
role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET

def listen():
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(4)
    print('listening', flush=True)
    return s

def read_all(c):
    b = b''
    while True:
        d = c.recv(65536)
        if not d: return b
        b += d

if role == 'half-server':      # read to EOF, then answer and close
    c, _ = listen().accept()
    n = len(read_all(c))
    c.sendall(b'got %d\n' % n); c.close(); print('got %d' % n, flush=True)
elif role == 'half-client':    # send N, shutdown(WR), read the answer
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b'y' * int(sys.argv[4])); s.shutdown(socket.SHUT_WR)
    print(read_all(s).decode().strip())
elif role == 'rst-server':     # read until the peer resets
    c, _ = listen().accept()
    try:
        read_all(c); print('EOF', flush=True)
    except ConnectionResetError:
        print('RST', flush=True)
elif role == 'reset-server':   # abortive close (SO_LINGER 0) after a while
    c, _ = listen().accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    time.sleep(0.5); c.close(); print('reset', flush=True)
elif role == 'keep-server':    # echo until the peer closes
    c, _ = listen().accept()
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d)
    print('closed', flush=True)
elif role == 'keep-client':    # idle with keep-alive on, then close
    idle, hold = int(sys.argv[4]), float(sys.argv[5])
    s = socket.create_connection((addr, port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.sendall(b'hello\n'); s.recv(100)
    time.sleep(hold); s.close(); print('done', flush=True)
elif role == 'oob-server':     # SO_OOBINLINE: the urgent byte comes inline
    l = listen()
    c, _ = l.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    print(read_all(c).decode(), flush=True)
elif role == 'oob-client':     # "abc", "!" urgent, "def"
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b'abc'); time.sleep(0.1)
    s.send(b'!', socket.MSG_OOB); time.sleep(0.1)
    s.sendall(b'def'); s.close(); print('sent', flush=True)
EOF
py_a() { topo_exec a python3 "$tmp/peer.py" "$@"; }
py_a_bg() { topo_bg a python3 "$tmp/peer.py" "$@"; }
py_b() { x_exec b "$RUN" python3 "$tmp/peer.py" "$@"; }
py_b_bg() { x_bg b "$RUN" python3 "$tmp/peer.py" "$@"; }
x_listening() { # PORT: xtcpd in b lists the listener
	topo_exec b "$BUILD/xtcpctl" -s "$tmp/b.ctl" conns 2>/dev/null |
		grep -i listen | grep -q ":$1\b"
}

half_close() {
	local got
	# xtcp first: xtcp_tool sends 100000 bytes, shuts down, reads.
	py_a_bg half-server "$a4" 9101 >"$tmp/hs.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/hs.out" || return 1
	got=$(x_exec b timeout 10 "$TOOL" halfclient "$a4" 9101 100000)
	topo_wait 5 grep -q '^got 100000$' "$tmp/hs.out" ||
		{ echo "Linux got: $(cat "$tmp/hs.out")"; return 1; }
	[ "$got" = "got 100000" ] || { echo "xtcp got '$got'"; return 1; }
	# Linux first: to xtcp_tool halfserve.
	x_bg b "$TOOL" halfserve 9102 >"$tmp/xhs.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/xhs.out" || return 1
	got=$(py_a half-client "$b6" 9102 77777)
	[ "$got" = "got 77777" ] || { echo "Linux got '$got'"; return 1; }
}
graded "half-close both ways (IPv4 xtcp first, IPv6 Linux first)" \
	graded_traffic half a "$ifa" half_close -- \
	--expect "tcp.flags.fin == 1 && eth.src == $mac_b"

aborts() {
	local got
	# xtcp aborts (SO_LINGER 0): Linux reads ECONNRESET.
	py_a_bg rst-server "$a4" 9201 >"$tmp/rst.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/rst.out" || return 1
	x_exec b timeout 5 "$TOOL" abort "$a4" 9201 || return 1
	topo_wait 5 grep -q '^RST$' "$tmp/rst.out" ||
		{ echo "Linux saw: $(cat "$tmp/rst.out")"; return 1; }
	# Linux aborts: xtcp's blocked read returns ECONNRESET.
	py_a_bg reset-server "$a6" 9202 >"$tmp/reset.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/reset.out" || return 1
	got=$(x_exec b timeout 5 "$TOOL" hold "$a6" 9202 read | tail -1)
	[ "${got%% *}" = ECONNRESET ] || { echo "xtcp got '$got'"; return 1; }
}
graded "abortive close both ways (RST)" \
	graded_traffic abort a "$ifa" aborts -- \
	--expect "tcp.flags.reset == 1 && eth.src == $mac_b" \
	--expect "tcp.flags.reset == 1 && eth.src == $mac_a"

# xtcp's probes come after TCP_KEEPIDLE's least, 10 s; Linux's after 1 s,
# to xtcpd's echo service meanwhile.
keepalives() {
	py_a_bg keep-server "$a4" 9301 >"$tmp/ks.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/ks.out" || return 1
	py_b_bg keep-client "$a4" 9301 10 12.5 >"$tmp/kc.out" 2>&1
	py_a keep-client "$b4" 7 1 3.5 | grep -q done || return 1
	topo_wait 20 grep -q done "$tmp/kc.out" ||
		{ echo "xtcp client: $(cat "$tmp/kc.out")"; return 1; }
	topo_wait 5 grep -q closed "$tmp/ks.out"
}
graded "keep-alive probes both ways, answered" \
	graded_traffic keepalive a "$ifa" keepalives -- \
	--expect "tcp.analysis.keep_alive && eth.src == $mac_b" \
	--expect "tcp.analysis.keep_alive_ack && eth.src == $mac_a" \
	--expect "tcp.analysis.keep_alive && eth.src == $mac_a" \
	--expect "tcp.analysis.keep_alive_ack && eth.src == $mac_b"

urgent() {
	local got
	py_a_bg oob-server "$a4" 9401 >"$tmp/os.out" 2>&1
	topo_wait 5 grep -q listening "$tmp/os.out" || return 1
	py_b oob-client "$a4" 9401 | grep -q sent || return 1
	topo_wait 5 grep -q '^abc!def$' "$tmp/os.out" ||
		{ echo "Linux got: $(cat "$tmp/os.out")"; return 1; }
	py_b_bg oob-server :: 9402 >"$tmp/xos.out" 2>&1
	topo_wait 5 x_listening 9402 || { cat "$tmp/xos.out"; return 1; }
	py_a oob-client "$b6" 9402 | grep -q sent || return 1
	topo_wait 5 grep -q '^abc!def$' "$tmp/xos.out" ||
		{ echo "xtcp got: $(cat "$tmp/xos.out")"; return 1; }
}
graded "urgent data both ways (MSG_OOB, SO_OOBINLINE)" \
	graded_traffic urgent a "$ifa" urgent -- \
	--expect "tcp.flags.urg == 1 && eth.src == $mac_b" \
	--expect "tcp.flags.urg == 1 && eth.src == $mac_a"

# --- through linkem: loss and corruption, each retransmission explained --------

# lossy NAME CMD...: graded by c's capture, linkem's event log and what
# entered linkem on either port (the order frames entered it in); then
# the log itself: each frame it names as lost or corrupted is found where
# it entered linkem.
lossy() {
	local name=$1 rc=0
	shift
	capture_start --rx-only "lem$L" "$lem_c" "$name.in_c" &&
		capture_start --rx-only "lem$L" "$lem_d" "$name.in_d" || return 1
	graded_traffic "$name" c "$ifc" "$@" -- --lem "$L" --min-retrans 1 \
		--ingress "$name.in_c" --ingress "$name.in_d" || rc=1
	capture_grade "$name.in_c" --lem "$L" --events-only --from "$(topo_mac c d)" &&
		capture_grade "$name.in_d" --lem "$L" --events-only --from "$(topo_mac d c)" ||
		rc=1
	return "$rc"
}
graded "$BULK_MB MB xtcp -> Linux through linkem ($LOSS loss, $CORRUPT corrupt), IPv4" \
	lossy lossy_to4 bulk_to_linux c d "$c4" 9501
graded "$BULK_MB MB Linux -> xtcp through linkem, IPv4" \
	lossy lossy_from4 bulk_from_linux c d "$d4" 9502
graded "$BULK_MB MB xtcp -> Linux through linkem, IPv6" \
	lossy lossy_to6 bulk_to_linux c d "$c6" 9503
graded "$BULK_MB MB Linux -> xtcp through linkem, IPv6" \
	lossy lossy_from6 bulk_from_linux c d "$d6" 9504

# The log against linkem's own counters: a line per lost and per
# corrupted frame, in each direction.
lem_count() { # DIR KEY
	topo_linkem_ctl "$L" stats | awk -v d="$1" -v k="$2" '
		$1 == d { for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] == k) print kv[2] } }'
}
lem_log_counts() {
	local log=$CAPTURE_DIR/lem$L.events x ev n want
	topo_linkem_ctl "$L" flush || return 1
	for x in ab ba; do
		for ev in lost corrupt; do
			n=$(grep -c "dir=$x ev=$ev " "$log")
			want=$(lem_count "$x" "$ev")
			[ "$ev" = corrupt ] && want=$(lem_count "$x" corrupted)
			echo "  linkem $x $ev: $n logged, $want counted"
			[ "$n" = "$want" ] && [ "$n" -gt 0 ] || return 1
		done
	done
}
graded "linkem's event log has a line per frame lost or corrupted" lem_log_counts

for h in b d; do
	if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd-$h.log"; then
		fail "xtcpd log clean ($h)" \
			"$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd-$h.log" | head -3)"
	else
		pass "xtcpd log clean ($h)"
	fi
done
echo "  # linkem seed $SEED (CAPTURE_TEST_SEED=$SEED repeats its fates)"
exit 0
