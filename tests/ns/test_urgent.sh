#!/usr/bin/env bash
# Urgent data, SIGURG and TCP_INFO for applications over xtcp, against a
# Linux peer: xtcpd in host b with tests/ns/urg_tool (libxtcp) and iperf3
# under xtcp-run, Linux TCP (python3, iperf3 -s) in host a.
#   - "abc", "X" with MSG_OOB, "def": reads stop at the mark, SIOCATMARK,
#     MSG_OOB gives "X", which never shows in the stream; with
#     SO_OOBINLINE two reads split at the mark;
#   - SIGURG to the F_SETOWN owner (pid, process group) when the urgent
#     data arrives, not for ordinary data, not without an owner; F_SETOWN
#     refused for a target the caller may not signal, or none;
#   - TCP_INFO in Linux's layout after 10 MB, and iperf3's view of it.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/xtcpd_app.sh"

XTCPD=$BUILD/xtcpd
TOOL=$BUILD/tests/ns/urg_tool
RUN=$BUILD/xtcp-run
MB=10

require_netns urgent
if ! command -v python3 >/dev/null; then
	skip urgent "python3 not installed"
	exit 0
fi

xtcpd_app_topo || exit 1

xtcpd_app_start b "$ifb" tcp_time_wait_interval=1000
check "xtcpd starts with an application socket" topo_wait 10 test -S "$XTCP_APP_SOCKET"

in_b() { topo_exec b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$@"; }
as_nobody() {
	topo_exec b setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$@"
}

# The Linux side: one connection, then exit.
#   oob:  "abc", "X" urgent, "def", then read to the end
#   sig:  "abc", wait for a line, "X" urgent, then read to the end
#   sink: read to the end
cat >"$tmp/peer.py" <<'EOF'
import socket, sys
addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
c.settimeout(30)
if mode == 'oob':
    c.sendall(b'abc')
    c.send(b'X', socket.MSG_OOB)
    c.sendall(b'def')
elif mode == 'sig':
    c.sendall(b'abc')
    line = b''
    while not line.endswith(b'\n'):
        d = c.recv(16)
        if not d:
            sys.exit(1)
        line += d
    c.send(b'X', socket.MSG_OOB)
while c.recv(65536):
    pass
c.close()
EOF

peer() { # PORT MODE
	topo_bg a timeout 60 python3 "$tmp/peer.py" "$a4" "$1" "$2" >/dev/null 2>&1
	topo_wait_listen a "$1"
}

is() { # WANT CMD...: the command prints exactly WANT
	local want=$1 got
	shift
	got=$("$@" 2>/dev/null)
	[ "$got" = "$want" ] || { echo "got: $got"; return 1; }
}

oob_case() { # PORT [inline] -> urg_tool's line
	peer "$1" oob || return 1
	in_b timeout 30 "$TOOL" oob "$a4" "$1" ${2:-}
}

# --- urgent data -------------------------------------------------------------

check "reads stop at the mark, MSG_OOB gives the byte, never the stream" \
	is "fionread=6 r1=abc atmark=1 oob=X pri=0 r2=def atmark2=0" \
	oob_case 7001
check "SO_OOBINLINE: two reads split at the mark, MSG_OOB EINVAL" \
	is "fionread=7 r1=abc atmark=1 oob=EINVAL pri=1 r2=Xdef atmark2=0" \
	oob_case 7002 inline
check "SO_OOBINLINE set once the urgent byte is there: read inline" \
	is "fionread=7 r1=abc atmark=1 oob=EINVAL pri=1 r2=Xdef atmark2=0" \
	oob_case 7004 late

# An unmodified program under xtcp-run: select's exceptional condition,
# FIONREAD, sockatmark(3) (glibc's own ioctl call, wrapped), MSG_OOB.
py_oob() { # PORT
	peer "$1" oob || return 1
	in_b timeout 30 "$RUN" python3 - "$a4" "$1" <<'EOF'
import ctypes, fcntl, select, socket, struct, sys, termios, time
libc = ctypes.CDLL(None, use_errno=True)
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
assert select.select([], [], [s], 10)[2], 'no exceptional condition'
for i in range(10000):
    n = struct.unpack('i', fcntl.ioctl(s, termios.FIONREAD, b'\0' * 4))[0]
    if n >= 6:
        break
    time.sleep(0.001)
a = s.recv(100)
m = libc.sockatmark(s.fileno())
o = s.recv(1, socket.MSG_OOB)
b = s.recv(100)
print(n, a.decode(), m, o.decode(), b.decode())
EOF
}
check "under xtcp-run: select's exceptfds, FIONREAD, sockatmark, MSG_OOB" \
	is "6 abc 1 X def" py_oob 7003

# --- SIGURG ------------------------------------------------------------------

sig_case() { # PORT none|pid|pgrp
	peer "$1" sig || return 1
	in_b timeout 30 "$TOOL" sig "$a4" "$1" "$2"
}

check "SIGURG to the F_SETOWN pid when urgent data arrives, not before" \
	is "before=0 after=1 getown=ok" sig_case 7011 pid
check "SIGURG to the F_SETOWN process group (negative id)" \
	is "before=0 after=1 getown=ok" sig_case 7012 pgrp
check "no SIGURG without an owner" \
	is "before=0 after=0 getown=ok" sig_case 7013 none

free_pid() { # a pid nobody has
	local p=4194000
	while [ -e /proc/$p ]; do p=$((p - 1)); done
	echo $p
}
check "F_SETOWN: a pid nobody has is ESRCH" \
	is "error: ESRCH" in_b "$TOOL" setown "$(free_pid)"
check "F_SETOWN: uid nobody may not own with init (EPERM)" \
	is "error: EPERM" as_nobody "$TOOL" setown 1
check "F_SETOWN: uid nobody may own with itself" \
	is "ok" as_nobody sh -c "exec '$TOOL' setown \$\$"

# --- TCP_INFO ----------------------------------------------------------------

field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }

tcp_info_case() {
	local out v
	peer 7021 sink || return 1
	out=$(in_b timeout 60 "$TOOL" info "$a4" 7021 $MB) || { echo "$out"; return 1; }
	echo "$out"
	[ "$(field "$out" len)" = 280 ] || return 1
	[ "$(field "$out" len8)" = 8 ] || return 1
	[ "$(field "$out" state)" = 1 ] || return 1 # Linux's TCP_ESTABLISHED
	v=$(field "$out" snd_mss)
	[ "$v" -ge 500 ] && [ "$v" -le 1500 ] || return 1
	v=$(field "$out" snd_cwnd) # segments
	[ "$v" -ge 2 ] && [ "$v" -le 100000 ] || return 1
	v=$(field "$out" rtt) # microseconds
	[ "$v" -gt 0 ] && [ "$v" -lt 1000000 ] || return 1
	v=$(field "$out" rto)
	[ "$v" -ge 200000 ] && [ "$v" -le 120000000 ] || return 1
	v=$(field "$out" bytes_acked)
	[ "$v" -ge $((MB * 1000000)) ] && [ "$v" -le $((MB * 1000000 + 2)) ] || return 1
	[ "$(field "$out" unacked)" = 0 ] || return 1
	[ "$(field "$out" data_segs_out)" -ge $((MB * 1000000 / 1500)) ] || return 1
}
check "TCP_INFO after $MB MB: Linux's layout, state 1, sane mss/cwnd/rtt, bytes_acked" \
	tcp_info_case

iperf_json() { # PORT -> the client's --json report, in $tmp/ip.json
	topo_bg a timeout 30 iperf3 -s -1 -p "$1" >/dev/null 2>&1
	topo_wait_listen a "$1" || return 1
	in_b timeout 30 "$RUN" iperf3 -c "$a4" -p "$1" -t 2 --json >"$tmp/ip.json" 2>&1 ||
		{ tail -5 "$tmp/ip.json"; return 1; }
	python3 - "$tmp/ip.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ivs = [s for i in r['intervals'] for s in i['streams']]
snd = r['end']['streams'][0]['sender']
print('max_snd_cwnd', snd['max_snd_cwnd'], 'max_rtt', snd['max_rtt'],
      'retransmits', snd['retransmits'], 'bytes', snd['bytes'])
assert ivs, 'no intervals'
sent = 0
for s in ivs:
    # snd_cwnd in bytes (Linux's segments times snd_mss): slow start
    # cannot have grown it beyond the initial window plus what was sent.
    sent += s['bytes']
    assert 2 * 500 <= s['snd_cwnd'] <= sent + (1 << 20), s
    assert 0 < s['rtt'] < 1000000, s
    assert 0 <= s['rttvar'] < 1000000, s
    assert 0 <= s['retransmits'] <= s['bytes'] // 500 + 100, s
assert 0 < snd['max_rtt'] < 1000000, snd
assert 0 <= snd['retransmits'] <= snd['bytes'] // 500 + 100, snd
EOF
}

if command -v iperf3 >/dev/null; then
	check "iperf3 under xtcp-run reports a sane cwnd, rtt and retransmits" \
		iperf_json 7031
else
	skip "iperf3 under xtcp-run reports a sane cwnd" "iperf3 not installed"
fi

if grep -E "ERROR|AddressSanitizer|runtime error" "$tmp/xtcpd.log"; then
	fail "xtcpd logged no error"
else
	pass "xtcpd logged no error"
fi
