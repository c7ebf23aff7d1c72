#!/usr/bin/env bash
# Unmodified Linux programs over xtcp through the LD_PRELOAD shim
# (xtcp-run, user/lib/preload.c): xtcpd in host b, the programs under
# xtcp-run in b, Linux TCP in host a. OpenBSD nc (poll) both ways as client
# and server with SHA-256, iperf3 (select) as client and server, curl if
# installed, a Python asyncio client (epoll), and the pass-through cases.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/xtcpd_app.sh"

XTCPD=$BUILD/xtcpd
RUN=$BUILD/xtcp-run
MB=${PRELOAD_TEST_MB:-20}

require_netns preload
for t in nc iperf3 python3; do
	if ! command -v $t >/dev/null; then
		skip preload "$t not installed"
		exit 0
	fi
done

xtcpd_app_topo || exit 1

xtcpd_app_start b "$ifb" tcp_time_wait_interval=1000
check "xtcpd starts with an application socket" topo_wait 10 test -S "$XTCP_APP_SOCKET"

# A program in b under xtcp-run; x_bg in the background.
x_run() { topo_exec b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$RUN" "$@"; }
x_bg() { topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$RUN" "$@"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# xtcpd's view: the connection really went through it.
x_conns() { topo_exec b "$BUILD/xtcpctl" -s "$tmp/xtcpd.sock" conns 2>/dev/null; }
x_listening() { x_conns | grep -i listen | grep -q ":$1\b"; }

head -c "$((MB * 1000000))" /dev/urandom >"$tmp/A"
head -c "$((MB * 1000000 + 12345))" /dev/urandom >"$tmp/B"

same() { # FILE WANT-FILE
	topo_wait 20 sh -c "[ \$(stat -c %s '$1') -ge \$(stat -c %s '$2') ]"
	[ "$(sha "$1")" = "$(sha "$2")" ] ||
		{ echo "$1: $(stat -c %s "$1") bytes, sha256 differs from $2"; return 1; }
}

# One direction at a time: the sender has -N (shutdown at the end of its
# input), the receiver reads to EOF. (nc -l quits as soon as its peer's
# side closes, so "both ways at once" would cut the listener's output.)
nc_up() { # ADDR PORT: nc in b sends A to Linux nc -l in a
	rm -f "$tmp/gotA"
	topo_bg a sh -c "nc -l '$1' '$2' </dev/null >'$tmp/gotA' 2>/dev/null"
	topo_wait_listen a "$2" || return 1
	x_run timeout 60 nc -N "$1" "$2" <"$tmp/A" >/dev/null || return 1
	same "$tmp/gotA" "$tmp/A"
}

nc_down() { # ADDR PORT: nc in b receives B from Linux nc -l in a
	rm -f "$tmp/gotB"
	topo_bg a sh -c "nc -N -l '$1' '$2' <'$tmp/B' >/dev/null 2>&1"
	topo_wait_listen a "$2" || return 1
	x_run timeout 60 nc "$1" "$2" </dev/null >"$tmp/gotB" || return 1
	same "$tmp/gotB" "$tmp/B"
}

# nc -l in b under xtcp; Linux nc in a connects. Not in Linux's table:
# wait until xtcpd lists the listener.
nc_server_in() { # PORT: Linux sends A to it
	rm -f "$tmp/gotA"
	x_bg sh -c "nc -4 -l '$1' </dev/null >'$tmp/gotA' 2>'$tmp/ncs.err'"
	topo_wait 5 x_listening "$1" || { x_conns; return 1; }
	topo_exec a timeout 60 nc -N "$b4" "$1" <"$tmp/A" >/dev/null || return 1
	same "$tmp/gotA" "$tmp/A"
}

nc_server_out() { # PORT: it sends B to Linux
	rm -f "$tmp/gotB"
	x_bg sh -c "nc -4 -N -l '$1' <'$tmp/B' >/dev/null 2>'$tmp/ncs.err'"
	topo_wait 5 x_listening "$1" || { x_conns; return 1; }
	topo_exec a timeout 60 nc "$b4" "$1" </dev/null >"$tmp/gotB" || return 1
	same "$tmp/gotB" "$tmp/B"
}

iperf_client() { # ADDR PORT
	topo_bg a iperf3 -s -1 -p "$2" >/dev/null 2>&1
	topo_wait_listen a "$2" || return 1
	x_run timeout 30 iperf3 -c "$1" -p "$2" -t 3 >"$tmp/ip.out" 2>&1 ||
		{ tail -5 "$tmp/ip.out"; return 1; }
	grep -E 'receiver$' "$tmp/ip.out"
}

iperf_server() { # PORT
	x_bg sh -c "timeout 30 iperf3 -s -1 --forceflush -p '$1' >'$tmp/ips.out' 2>&1"
	topo_wait 5 x_listening "$1" || { cat "$tmp/ips.out"; return 1; }
	topo_exec a timeout 30 iperf3 -c "$b4" -p "$1" -t 3 -R >"$tmp/ip.out" 2>&1 ||
		{ tail -5 "$tmp/ip.out" "$tmp/ips.out"; return 1; }
	grep -E 'receiver$' "$tmp/ip.out"
}

curl_get() { # URL-HOST PORT
	local ret=0
	topo_bg a sh -c "cd '$tmp' && exec python3 -m http.server -b '$1' '$2' >/dev/null 2>&1"
	topo_wait_listen a "$2" || return 1
	rm -f "$tmp/gotC"
	x_run timeout 30 curl -sS -g -o "$tmp/gotC" "http://$3:$2/B" || ret=1
	kill "$TOPO_BG_PID" 2>/dev/null
	[ $ret = 0 ] && same "$tmp/gotC" "$tmp/B"
}

# Python asyncio: epoll, non-blocking connect, an AF_UNIX socketpair (its
# self-pipe, passed through) next to the xtcp socket. It sends SRC (unless
# "-") then reads to EOF into DST; one direction per connection, as for nc.
asyncio_py() { # ADDR PORT SRC DST
	x_run timeout 60 python3 - "$@" <<'PY'
import asyncio, sys, selectors
assert isinstance(selectors.DefaultSelector(), selectors.EpollSelector)
async def main(addr, port, src, dst):
    r, w = await asyncio.open_connection(addr, int(port))
    if src != '-':
        with open(src, 'rb') as f:
            while d := f.read(65536):
                w.write(d)
                await w.drain()
        w.write_eof()
    with open(dst, 'wb') as f:
        while d := await r.read(65536):
            f.write(d)
    w.close()
    await w.wait_closed()
asyncio.run(main(*sys.argv[1:]))
PY
}

asyncio_client() { # ADDR PORT
	rm -f "$tmp/gotA" "$tmp/gotB"
	topo_bg a sh -c "nc -l '$1' '$2' </dev/null >'$tmp/gotA' 2>/dev/null"
	topo_wait_listen a "$2" || return 1
	asyncio_py "$1" "$2" "$tmp/A" /dev/null || return 1
	same "$tmp/gotA" "$tmp/A" || return 1
	topo_bg a sh -c "nc -N -l '$1' '$(($2 + 1))' <'$tmp/B' >/dev/null 2>&1"
	topo_wait_listen a "$(($2 + 1))" || return 1
	asyncio_py "$1" "$(($2 + 1))" - "$tmp/gotB" || return 1
	same "$tmp/gotB" "$tmp/B"
}

# Without a reachable xtcpd, TCP stays Linux's (run in a: in b xtcpd holds
# the ephemeral ports: UDP binds its port); AF_UNIX and UDP always do.
passthrough() {
	rm -f "$tmp/gotA"
	topo_bg a sh -c "timeout 20 nc -l '$a4' 9500 </dev/null >'$tmp/gotA' 2>/dev/null"
	topo_wait_listen a 9500 || return 1
	topo_exec a env XTCP_APP_SOCKET="$tmp/none.sock" "$RUN" \
		timeout 10 nc -N "$a4" 9500 <"$tmp/A" || return 1
	same "$tmp/gotA" "$tmp/A" || return 1
	x_run timeout 10 python3 -c '
import socket
a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 9600))
u.sendto(b"y", u.getsockname()); assert u.recv(1) == b"y"
'
}

check "nc client (poll) sends $MB MB to Linux nc -l, sha256 (IPv4)" nc_up "$a4" 9400
check "nc client receives $MB MB from Linux nc -l, sha256 (IPv6)" nc_down "$a6" 9401
check "nc -l server (accept, poll) receives $MB MB from Linux nc, sha256" nc_server_in 9402
check "nc -l server sends $MB MB to Linux nc, sha256" nc_server_out 9407
check "iperf3 client (select) -> Linux iperf3 -s, 3 s" iperf_client "$a4" 9403
check "iperf3 -s -1 server <- Linux iperf3 -c -R, 3 s" iperf_server 9404
check "Python asyncio client (epoll) sends and receives $MB MB with Linux nc, sha256" asyncio_client "$a4" 9410
if command -v curl >/dev/null; then
	check "curl GET from Linux python http.server, sha256" curl_get "$a4" 9406 "$a4"
fi
check "pass-through: TCP without xtcpd is Linux's; AF_UNIX and UDP" passthrough
if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log"; then
	fail "xtcpd log clean" "$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log" | head -3)"
else
	pass "xtcpd log clean"
fi
exit 0
