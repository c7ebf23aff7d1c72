#!/usr/bin/env bash
# Socket timeouts, dup, fork and exec of xtcp sockets, as unmodified
# programs use them (issue 5): tests/ns/fork_tool.c (plain POSIX sockets)
# and nginx under xtcp-run in host b with xtcpd; Linux TCP clients in host
# a (Python, curl). Timings are checked as "after at least the timeout and
# well before 10x it", never exactly.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"
. "$XTCP_ROOT/tests/lib/xtcpd_app.sh"

XTCPD=$BUILD/xtcpd
RUN=$BUILD/xtcp-run
FT=$BUILD/tests/ns/fork_tool
TMO=300 # ms

require_netns fork
if ! command -v python3 >/dev/null; then
	skip fork "python3 not installed"
	exit 0
fi

xtcpd_app_topo || exit 1

xtcpd_app_start b "$ifb" tcp_time_wait_interval=1000
check "xtcpd starts with an application socket" topo_wait 10 test -S "$XTCP_APP_SOCKET"

x_run() { topo_exec b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$RUN" "$@"; }
x_bg() { topo_bg b env XTCP_APP_SOCKET="$XTCP_APP_SOCKET" "$RUN" "$@"; }
x_conns() { topo_exec b "$BUILD/xtcpctl" -s "$tmp/xtcpd.sock" conns 2>/dev/null; }
x_listening() { x_conns | grep -i listen | grep -q ":$1\b"; }
# Connections of xtcpd on local PORT in a state other than LISTEN/TIME-WAIT.
x_open() { x_conns | grep -E "[:.]$1\b" | grep -viE 'listen|time.?wait' || :; }
not_listening() { ! x_listening "$1"; }
no_open() { [ -z "$(x_open "$1")" ]; }
has_line() { grep -q "$2" "$1" 2>/dev/null; }

# "NAME VALUE MS" of fork_tool: VALUE as wanted, MS at least the timeout
# and under 10 times it.
timed() { # FILE NAME VALUE-REGEX
	local line v ms
	line=$(grep "^$2 " "$1") || { echo "no $2 line in: $(cat "$1")"; return 1; }
	read -r _ v ms <<<"$line"
	[[ $v =~ ^$3$ ]] || { echo "$2 returned $v"; return 1; }
	[ "$ms" -ge "$TMO" ] && [ "$ms" -lt $((TMO * 10)) ] ||
		{ echo "$2 after $ms ms (timeout $TMO ms)"; return 1; }
}

# The Linux side: a Python client in host a (tests below name the mode).
cat >"$tmp/client.py" <<'PY'
import hashlib, os, socket, sys, threading, time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])

def wait_file(path, text, secs=20):
    end = time.time() + secs
    while time.time() < end:
        try:
            if text in open(path).read():
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("timed out waiting for %r in %s" % (text, path))

def conn():
    s = socket.create_connection((host, port), timeout=20)
    return s

def roundtrip(size, s=None):
    """Send SIZE random bytes, shut down, read to the FIN; same bytes."""
    s = s or conn()
    data = os.urandom(size)
    got, err = bytearray(), []
    def reader():
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    return
                got.extend(d)
        except OSError as e:  # a RST: the server did not close gracefully
            err.append(e)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(30)
    s.close()
    if t.is_alive():
        raise RuntimeError("no FIN")
    if err:
        raise RuntimeError("after %d of %d bytes: %r" % (len(got), size, err[0]))
    if hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
        raise RuntimeError("%d bytes sent, %d back, sha256 differs" % (size, len(got)))

def pool(n, par, fn):
    errs, lock, it = [], threading.Lock(), iter(range(n))
    def run():
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            try:
                fn(i)
            except Exception as e:
                with lock:
                    errs.append("conn %d: %r" % (i, e))
    ts = [threading.Thread(target=run) for _ in range(par)]
    [t.start() for t in ts]
    [t.join(120) for t in ts]
    if errs:
        sys.exit("%d failed: %s" % (len(errs), errs[:3]))

def read_line(s):
    b = b""
    while not b.endswith(b"\n"):
        d = s.recv(1)
        if not d:
            raise RuntimeError("EOF before the line")
        b += d
    return b.decode().strip()

if mode == "timeo":  # connect, 3 bytes on cue, never read, close at the end
    out = sys.argv[4]
    s = conn()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    wait_file(out, "send3")
    s.sendall(b"abc")
    wait_file(out, "send2 ", 30)
    s.close()
elif mode == "echo":  # N connections, PAR at once, SIZE bytes each
    n, par, size = map(int, sys.argv[4:7])
    pool(n, par, lambda i: roundtrip(size))
    print("ok %d" % n)
elif mode == "prefork":  # N connections: each names its worker
    n, par = map(int, sys.argv[4:6])
    pids, lock = {}, threading.Lock()
    def one(i):
        s = conn()
        pid = read_line(s)
        roundtrip(4096 + i, s)
        with lock:
            pids[pid] = pids.get(pid, 0) + 1
    pool(n, par, one)
    print(" ".join("%s:%d" % kv for kv in sorted(pids.items())))
elif mode == "hold":  # open connections until 2 workers hold some; kill one
    ctl = sys.argv[4]
    held = []
    for i in range(3):  # a worker serves one connection at a time
        s = conn()
        held.append((read_line(s), s))
        if len({p for p, _ in held}) >= 2:
            break
    victim = held[0][0]
    open(ctl + ".pids", "w").write(victim + "\n")
    wait_file(ctl + ".killed", "yes")
    bad = []
    for pid, s in held:
        s.settimeout(10)
        try:
            s.sendall(b"ping")
            d = s.recv(4)
            ok = d == b"ping"
        except (ConnectionResetError, BrokenPipeError):
            ok = None
        if pid == victim and ok is not None:
            bad.append("%s: victim's connection not reset (%r)" % (pid, ok))
        if pid != victim and ok is not True:
            bad.append("%s: survivor's connection broken (%r)" % (pid, ok))
    if bad:
        sys.exit("; ".join(bad))
    print("victim %s: %d reset; %d others fine" % (victim,
          sum(p == victim for p, _ in held), sum(p != victim for p, _ in held)))
PY
client() { topo_exec a timeout 180 python3 "$tmp/client.py" "$@"; }

# --- 1. SO_RCVTIMEO / SO_SNDTIMEO -------------------------------------------
sockopt_run() {
	local out
	out=$(x_run "$FT" sockopt 2>&1)
	echo "$out"
	[ "$out" = ok ]
}
check "SO_RCVTIMEO/SO_SNDTIMEO: set, get, _OLD/_NEW, EDOM, EINVAL, {0,0}" sockopt_run

timeo_run() {
	rm -f "$tmp/timeo.out"
	x_bg sh -c "'$FT' timeo 9501 $TMO >'$tmp/timeo.out' 2>&1"
	topo_wait 10 has_line "$tmp/timeo.out" ready || { cat "$tmp/timeo.out"; return 1; }
	client timeo "$b4" 9501 "$tmp/timeo.out" || { cat "$tmp/timeo.out"; return 1; }
	topo_wait 10 has_line "$tmp/timeo.out" "^send2 "
}
check "timeout run: listener, recv, MSG_WAITALL, send, send again" timeo_run
check "SO_RCVTIMEO: blocked accept returns EAGAIN after about the timeout" \
	timed "$tmp/timeo.out" accept EAGAIN
check "SO_RCVTIMEO: blocked recv returns EAGAIN after about the timeout" \
	timed "$tmp/timeo.out" recv EAGAIN
check "SO_RCVTIMEO: recv MSG_WAITALL returns the 3 bytes there after the timeout" \
	timed "$tmp/timeo.out" waitall 3
check "SO_SNDTIMEO: a 64 MB send to a peer not reading returns a partial count" \
	timed "$tmp/timeo.out" send '[1-9][0-9]*'
check "SO_SNDTIMEO: then a send on the full ring returns EAGAIN" \
	timed "$tmp/timeo.out" send2 EAGAIN

cto_run() {
	topo_exec a iptables -A INPUT -p tcp --dport 9502 -j DROP || return 2
	x_run "$FT" cto "$a4" 9502 "$TMO" >"$tmp/cto.out" 2>&1
	timed "$tmp/cto.out" connect EINPROGRESS || return 1
	grep -q '^again EALREADY' "$tmp/cto.out" || { cat "$tmp/cto.out"; return 1; }
}
cto_run >"$tmp/cto.log" 2>&1
case $? in
0) pass "SO_SNDTIMEO: connect to a peer dropping SYNs gives EINPROGRESS after the timeout, then EALREADY" ;;
2) skip "SO_SNDTIMEO connect" "iptables unusable in the namespace" ;;
*) fail "SO_SNDTIMEO: connect to a peer dropping SYNs gives EINPROGRESS after the timeout, then EALREADY" "$(tail -3 "$tmp/cto.log" | tr '\n' ' ')" ;;
esac

# --- 2. dup ----------------------------------------------------------------
dupchild() {
	rm -f "$tmp/dup.out"
	x_bg sh -c "'$FT' dupchild 9503 >'$tmp/dup.out' 2>&1; echo exit=\$? >>'$tmp/dup.out'"
	topo_wait 10 x_listening 9503 || { cat "$tmp/dup.out"; return 1; }
	client echo "$b4" 9503 1 1 2000000 || return 1
	topo_wait 10 has_line "$tmp/dup.out" "exit=" || { echo "fork_tool still running"; return 1; }
	grep -q "exit=0" "$tmp/dup.out" || { cat "$tmp/dup.out"; return 1; }
}
check "dup: F_DUPFD_CLOEXEC, dup, dup2/dup3 onto 0 and 1, a child echoes 2 MB through them, sha256" dupchild

# --- 3. fork ---------------------------------------------------------------
forkecho() {
	rm -f "$tmp/fe.out"
	x_bg sh -c "'$FT' forkecho 9504 50 >'$tmp/fe.out' 2>&1; echo exit=\$? >>'$tmp/fe.out'"
	topo_wait 10 x_listening 9504 || { cat "$tmp/fe.out"; return 1; }
	client echo "$b4" 9504 50 10 100000 || return 1
	topo_wait 20 has_line "$tmp/fe.out" "exit=0" || { cat "$tmp/fe.out"; return 1; }
	# Every connection closed: none left open in xtcpd (TIME-WAIT aside).
	topo_wait 10 no_open 9504 ||
		{ x_conns | grep 9504 | head -5; return 1; }
}
check "fork per connection: 50 connections echoed by children, the parent closing its copies at once; sha256, FIN each, none left open" forkecho

prefork_run() {
	rm -f "$tmp/pf.out" "$tmp/pf.ctl".*
	x_bg sh -c "exec '$FT' prefork 9505 3 >'$tmp/pf.out' 2>&1"
	topo_wait 10 has_line "$tmp/pf.out" ready || { cat "$tmp/pf.out"; return 1; }
	topo_wait 10 x_listening 9505 || return 1
	client prefork "$b4" 9505 300 10 >"$tmp/pf.count" || return 1
	cat "$tmp/pf.count"
	local n
	n=$(wc -w <"$tmp/pf.count")
	[ "$n" -eq 3 ] || { echo "connections went to $n workers, not 3"; return 1; }
}
check "prefork: 3 workers accept 300 connections from one listener (parent closed its copy), each gets some" prefork_run

prefork_kill() {
	local victim
	client hold "$b4" 9505 "$tmp/pf.ctl" >"$tmp/pf.hold" 2>&1 &
	local cpid=$!
	topo_wait 20 test -s "$tmp/pf.ctl.pids" || { kill $cpid; cat "$tmp/pf.hold"; return 1; }
	victim=$(cat "$tmp/pf.ctl.pids")
	topo_exec b kill -9 "$victim"
	echo yes >"$tmp/pf.ctl.killed"
	wait $cpid || { cat "$tmp/pf.hold"; return 1; }
	cat "$tmp/pf.hold"
	# The listener lives on in the other workers.
	client prefork "$b4" 9505 20 4 >/dev/null
}
check "prefork: a worker killed mid-connection resets only its connections; the others and the listener go on" prefork_kill

# --- 4. exec ----------------------------------------------------------------
# inetd's nowait services: accept, fork, dup2 onto 0 and 1, exec. cat
# echoes; sh -c 'cat; exit 0' forks and execs cat itself, so the adopted
# sockets go through a second fork and exec.
inetd_run() { # PORT N PROG...
	local port=$1 n=$2 out=$tmp/inetd.$1
	shift 2
	rm -f "$out"
	x_bg sh -c "$(printf '%q ' "$FT" inetd "$port" "$n" "$@") >'$out' 2>&1; echo exit=\$? >>'$out'"
	topo_wait 10 x_listening "$port" || { cat "$out"; return 1; }
	client echo "$b4" "$port" "$n" 1 300000 || { cat "$out"; return 1; }
	topo_wait 10 has_line "$out" "exit=0" || { cat "$out"; return 1; }
	topo_wait 10 no_open "$port" || { x_conns | grep "$port"; return 1; }
}
check "exec: inetd-style fork + dup2 + exec cat, 3 connections echoed, sha256, FIN, none left open" \
	inetd_run 9506 3 cat
check "exec: inetd-style exec of sh -c 'cat; exit 0' (its own fork + exec), 3 connections, sha256" \
	inetd_run 9507 3 sh -c 'cat; exit 0'

execfd_run() {
	local out=$tmp/execfd.out
	rm -f "$out"
	x_bg sh -c "'$FT' execfd 9508 2 >'$out' 2>&1; echo exit=\$? >>'$out'"
	topo_wait 10 has_line "$out" ready || { cat "$out"; return 1; }
	client echo "$b4" 9508 2 1 200000 || { cat "$out"; return 1; }
	topo_wait 10 has_line "$out" "exit=0" || { cat "$out"; return 1; }
	topo_wait 10 not_listening 9508
}
check "exec: a listener's own descriptor (no FD_CLOEXEC) survives exec; the new image accepts and echoes 2 connections" \
	execfd_run

# --- nginx -------------------------------------------------------------------
# Unmodified nginx, master and 2 workers (prefork), under xtcp-run; Linux
# curl fetches a file. Stopped with SIGQUIT and waited for; topo's cleanup
# kills whatever is left in the namespace.
ng=$tmp/nginx
# nginx processes in host b only (the pid namespace is the machine's).
ng_pids() {
	local p
	for p in $(ip netns pids "$(topo_ns b)"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = nginx ] && echo "$p"
	done
}
ng_gone() { [ -z "$(ng_pids)" ]; }
nginx_run() {
	local i pids
	mkdir -p "$ng/www" "$ng/tmp"
	head -c 5000000 /dev/urandom >"$ng/www/file"
	chmod -R a+rX "$ng"
	cat >"$ng/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $ng/nginx.pid;
error_log $ng/error.log info;
events { worker_connections 64; }
http {
	access_log $ng/access.log;
	client_body_temp_path $ng/tmp/body;
	proxy_temp_path $ng/tmp/proxy;
	fastcgi_temp_path $ng/tmp/fastcgi;
	uwsgi_temp_path $ng/tmp/uwsgi;
	scgi_temp_path $ng/tmp/scgi;
	sendfile off;
	server {
		listen $b4:9580;
		root $ng/www;
	}
}
CONF
	# Its output not on check's pipe: check would wait for nginx's end.
	x_bg nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >/dev/null 2>&1
	topo_wait 10 x_listening 9580 || { tail -5 "$ng/error.log"; return 1; }
	pids=$(ng_pids | wc -l)
	[ "$pids" -eq 3 ] || { echo "$pids nginx processes, not 3"; return 1; }
	for i in 1 2 3 4 5 6; do
		rm -f "$ng/got"
		topo_exec a timeout 30 curl -sS -o "$ng/got" "http://$b4:9580/file" ||
			{ tail -5 "$ng/error.log"; return 1; }
		[ "$(sha256sum <"$ng/got")" = "$(sha256sum <"$ng/www/file")" ] ||
			{ echo "fetch $i: sha256 differs ($(stat -c %s "$ng/got") bytes)"; return 1; }
	done
	grep -c ' 200 ' "$ng/access.log"
}
nginx_stop() {
	local m
	m=$(cat "$ng/nginx.pid" 2>/dev/null) && topo_exec b kill -QUIT "$m"
	topo_wait 15 ng_gone || { kill -9 $(ng_pids) 2>/dev/null; return 1; }
	# Every worker's hold on the listener went with it.
	topo_wait 5 not_listening 9580 || { echo "xtcpd still listens"; return 1; }
}
if command -v nginx >/dev/null; then
	check "nginx (master + 2 workers) under xtcp-run serves a 5 MB file to Linux curl 6 times, sha256" nginx_run
	check "nginx stops on SIGQUIT, no process left" nginx_stop
	if grep -qE '\[(alert|emerg|crit)\]' "$ng/error.log"; then
		fail "nginx error log has no alert" "$(grep -E '\[(alert|emerg|crit)\]' "$ng/error.log" | head -2)"
	else
		pass "nginx error log has no alert"
	fi
else
	skip nginx "nginx not installed"
fi

if grep -qiE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log"; then
	fail "xtcpd log clean" "$(grep -iE 'sanitizer|runtime error|assert' "$tmp/xtcpd.log" | head -3)"
else
	pass "xtcpd log clean"
fi
exit 0
