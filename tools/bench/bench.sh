#!/usr/bin/env bash
# bench.sh (`make bench`): Linux TCP and xtcp side by side, in one run, on
# the same namespaces, with the same program (tools/benchtool, built over the
# socket API as benchtool and over libxtcp as benchtool-xtcp). Three pairs,
# client in host a, server in host b:
#   linux-linux  both ends Linux TCP (baseline, no XDP, no xtcpd)
#   xtcp-linux   server over xtcp (xtcpd in b), client Linux TCP in a
#   xtcp-xtcp    both ends over xtcp (an xtcpd in a and in b)
# Measured for each pair (see "Benchmarks" in README.md for the methods):
#   bulk a->b and b->a (Gbit/s, single stream), rr p50/p99 (64-byte
#   ping-pong, us), crr (connect, 64-byte request/answer, close: conn/s),
#   goodput c->d over linkem (20 ms RTT, 1% loss each way), memory per idle
#   established connection (N connections, KB), CPU seconds per GB moved.
# Every load is bounded by count and time. Traffic stays in the run's
# namespaces. Results: a table on stdout, $OUT/bench.json, $OUT/bench.png.
#
#   tools/bench/bench.sh [--long] [--conns N] [--out DIR] [--pairs LIST]
#
# Default under 3 minutes; --long runs every load 5x longer. Needs root.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LONG=0 CONNS=10000 OUT=${BUILD} PAIRS="linux-linux xtcp-linux xtcp-xtcp"
while [ $# -gt 0 ]; do
	case $1 in
	--long) LONG=1 ;;
	--conns) CONNS=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--pairs) PAIRS=$2 && shift ;;
	-h | --help)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
M=1
[ "$LONG" = 1 ] && M=5
T_BULK=$((3 * M)) T_RR=$((3 * M)) T_CRR=$((3 * M)) T_LOSSY=$((6 * M))
BULK_BYTES=$((100 * 1000 * 1000 * 1000)) # time bounds it first
RR_COUNT=$((500000 * M)) CRR_COUNT=$((20000 * M))
PER_PROC=500 # held connections per process (libxtcp: 1024 slots a session)
HOLD_SECS=$((60 * M))
BT=$BUILD/benchtool
BTX=$BUILD/benchtool-xtcp
for f in "$BT" "$BTX" "$BUILD/xtcpd" "$BUILD/linkem" "$BUILD/bpf/xdp_pass.bpf.o"; do
	[ -e "$f" ] || {
		echo "bench: $f missing (make BUILD=$BUILD)" >&2
		exit 1
	}
done
command -v gnuplot >/dev/null || echo "bench: no gnuplot, no bench.png" >&2
BT=$(realpath "$BT") BTX=$(realpath "$BTX")
mkdir -p "$OUT"
. tools/topo.sh

T0=$(date +%s)
say() { printf '[%3ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }

topo_init || exit 1
topo_host a && topo_host b && topo_link a b || exit 1
ifa=$(topo_ifname a b) ifb=$(topo_ifname b a) b4=$(topo_addr b a 4)
# Checksum offload off on both ends for every pair: XDP needs whole
# checksums from a Linux sender, and Linux-Linux then pays for them too.
topo_tx_off a && topo_tx_off b
# Linux compares with the same kind of congestion control xtcp runs: the
# machine's default may be BBR, which does not back off on random loss and
# would make the lossy row a comparison of algorithms, not of stacks. A
# namespace may only pick its default among the algorithms the initial
# namespace allows, so benchtool sets it per socket (TCP_CONGESTION, root).
LINUX_CC=${LINUX_CC:-cubic} # xtcp has newreno and cubic
export BENCH_CC=$LINUX_CC
topo_host c && topo_host d || exit 1
topo_linkem c d --seed 7 delay 10 loss 1% || exit 1
ifc=$(topo_ifname c d) ifd=$(topo_ifname d c) d4=$(topo_addr d c 4)
tmp=$(mktemp -d)
chmod 755 "$tmp"
topo_defer "rm -rf '$tmp'"
HZ=$(getconf CLK_TCK)

declare -A XPID=() R=() N=()

# --- helpers ------------------------------------------------------------------

xtcpd_start() { # HOST IF
	cat >"$tmp/xtcpd-$1.conf" <<EOF
[daemon]
log_level = warn
control_socket = $tmp/ctl-$1.sock
app_socket = $tmp/app-$1.sock
[interface $2]
queues = 1
[tunables]
congestion_control = $LINUX_CC
EOF
	topo_bg "$1" "$BUILD/xtcpd" -c "$tmp/xtcpd-$1.conf" >"$tmp/xtcpd-$1.log" 2>&1
	XPID[$1]=$TOPO_BG_PID
	topo_wait 10 test -S "$tmp/app-$1.sock" || {
		cat "$tmp/xtcpd-$1.log" >&2
		return 1
	}
}

xtcpd_stop() { # HOST
	local p=${XPID[$1]:-}
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	unset "XPID[$1]"
}

# HOST BIN ARGS...: run with HOST's app socket (ignored by the Linux build).
on() {
	local h=$1
	shift
	topo_exec "$h" env XTCP_APP_SOCKET="$tmp/app-$h.sock" "$@"
}
bg_on() {
	local h=$1
	shift
	topo_bg "$h" env XTCP_APP_SOCKET="$tmp/app-$h.sock" "$@"
}

# CPU seconds (utime + stime, all threads) of PIDS, from /proc/PID/stat.
cpu_of() {
	local p s t=0
	for p in "$@"; do
		s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		s=${s##*) }
		# shellcheck disable=SC2086
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo "$t $HZ" | awk '{ printf "%.3f", $1 / $2 }'
}
# Machine-wide irq + softirq seconds (/proc/stat): Linux's receive work
# on veth runs there and cannot be tied to one process.
softirq() {
	awk -v hz="$HZ" '/^cpu / { printf "%.3f", ($7 + $8) / hz }' /proc/stat
}
# Proportional set size in KB of PIDS (shared pages split among mappers:
# xtcpd and an application share the socket rings).
pss_of() {
	local p t=0 v
	for p in "$@"; do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
kv() { # KEY LINE
	sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"
}
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

# --- one pair ------------------------------------------------------------------

# PAIR CLIENT_BIN SERVER_BIN CLIENT_HOST SERVER_HOST SERVER_ADDR PORT METRIC-PREFIX
bulk_run() {
	local pair=$1 cbin=$2 ch=$3 sh=$4 addr=$5 port=$6 dir=$7 name=$8
	local spid=$9 c0 c1 s0 s1 out xp
	xp="${XPID[*]}"
	# shellcheck disable=SC2086
	c0=$(cpu_of "$spid" $xp) s0=$(softirq)
	out=$(on "$ch" timeout $((T_BULK + 30)) "$cbin" "$dir" "$addr" "$port" \
		"$BULK_BYTES" "$T_BULK") || {
		say "$pair $name failed"
		return 1
	}
	# shellcheck disable=SC2086
	c1=$(cpu_of "$spid" $xp) s1=$(softirq)
	R[$pair.$name]=$(kv gbps "$out")
	R[$pair.cpu_$name]=$(calc "($(kv cpu "$out") + $c1 - $c0 + $s1 - $s0) / ($(kv bytes "$out") / 1e9)")
	say "$pair $name: ${R[$pair.$name]} Gbit/s, ${R[$pair.cpu_$name]} CPU s/GB"
}

pair_main() { # PAIR CBIN SBIN
	local pair=$1 cbin=$2 sbin=$3 port out spid
	port=$((7000 + RANDOM % 1000))
	bg_on b "$sbin" server "$port" >"$tmp/server-$pair.log" 2>&1
	spid=$TOPO_BG_PID
	topo_wait 10 grep -q listening "$tmp/server-$pair.log" || {
		say "$pair: server did not start: $(cat "$tmp/server-$pair.log")"
		return 1
	}
	say "$pair: bulk a->b ${T_BULK}s"
	bulk_run "$pair" "$cbin" a b "$b4" "$port" send bulk_ab "$spid"
	say "$pair: bulk b->a ${T_BULK}s"
	bulk_run "$pair" "$cbin" a b "$b4" "$port" recv bulk_ba "$spid"
	say "$pair: rr ${T_RR}s"
	# A message that never comes back ends the run at T + 5 s: "stalled".
	if out=$(on a timeout $((T_RR + 5)) "$cbin" rr "$b4" "$port" "$RR_COUNT" "$T_RR"); then
		R[$pair.rr_p50]=$(kv p50_us "$out") R[$pair.rr_p99]=$(kv p99_us "$out")
		say "$pair rr: $out"
	else
		N[$pair.rr_p50]=stalled N[$pair.rr_p99]=stalled
		say "$pair rr: no answer to a message for 5 s: stalled, not measured"
	fi
	say "$pair: crr ${T_CRR}s"
	if out=$(on a timeout $((T_CRR + 30)) "$cbin" crr "$b4" "$port" "$CRR_COUNT" "$T_CRR"); then
		R[$pair.crr]=$(kv rate "$out")
		[ "$(kv failed "$out")" = 0 ] || N[$pair.crr]="$(kv failed "$out") failed"
		say "$pair crr: $out"
	fi
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	hold_run "$pair" "$cbin" "$sbin"
}

hold_run() { # PAIR CBIN SBIN
	local pair=$1 cbin=$2 sbin=$3 np i n left base pids=() spids=() cpids=()
	local slab0 slab1 tm0 tm1 pss0 pss1 held=0
	np=$(((CONNS + PER_PROC - 1) / PER_PROC))
	base=$((20000 + RANDOM % 10000))
	say "$pair: hold $CONNS idle connections ($np processes a side)"
	for ((i = 0; i < np; i++)); do
		bg_on b "$sbin" holdserve $((base + i)) "$PER_PROC" "$HOLD_SECS" \
			>"$tmp/hs-$pair-$i.log" 2>&1
		spids+=("$TOPO_BG_PID")
	done
	for ((i = 0; i < np; i++)); do
		topo_wait 10 grep -q listening "$tmp/hs-$pair-$i.log" || {
			say "$pair: holdserve $i did not start"
			break
		}
	done
	sleep 0.5
	slab0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	tm0=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
	# Clients are measured from before they exist: their whole Pss
	# counts (a process's base is a few hundred KB over 500 connections).
	pss0=$(pss_of "${spids[@]}" "${XPID[@]}")
	left=$CONNS
	for ((i = 0; i < np; i++)); do
		n=$((left < PER_PROC ? left : PER_PROC))
		left=$((left - n))
		bg_on a "$cbin" hold "$b4" $((base + i)) "$n" "$HOLD_SECS" \
			>"$tmp/hc-$pair-$i.log" 2>&1
		cpids+=("$TOPO_BG_PID")
	done
	for ((i = 0; i < HOLD_SECS * 10; i++)); do
		held=$(cat "$tmp"/hc-"$pair"-*.log 2>/dev/null |
			awk -F= '/^held=/ { s += $2; n++ } END { print s + 0, n + 0 }')
		[ "${held#* }" -ge "$np" ] && break
		sleep 0.1
	done
	held=${held% *}
	sleep 1
	slab1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	tm1=$(awk '/^TCP:/ { print $NF }' /proc/net/sockstat)
	pss1=$(pss_of "${spids[@]}" "${cpids[@]}" "${XPID[@]}")
	pids=("${cpids[@]}" "${spids[@]}")
	kill -TERM "${pids[@]}" 2>/dev/null
	for i in "${pids[@]}"; do wait "$i" 2>/dev/null; done
	if [ "$held" -gt 0 ]; then
		R[$pair.held]=$held
		R[$pair.mem_kernel]=$(calc "(($slab1 - $slab0) + ($tm1 - $tm0) * 4) / $held" 2)
		R[$pair.mem_user]=$(calc "($pss1 - $pss0) / $held" 2)
		R[$pair.mem]=$(calc "${R[$pair.mem_kernel]} + ${R[$pair.mem_user]}" 2)
	fi
	say "$pair: held $held; per connection (both ends) KB: kernel ${R[$pair.mem_kernel]:-?} + processes ${R[$pair.mem_user]:-?} = ${R[$pair.mem]:-?}"
	# Let Linux's closing connections go before the next pair.
	sleep 1
}

lossy_run() { # PAIR CBIN SBIN
	local pair=$1 cbin=$2 sbin=$3 port out spid
	port=$((8000 + RANDOM % 1000))
	topo_linkem_ctl "$TOPO_LOSSY" seed 7 >/dev/null
	bg_on d "$sbin" server "$port" >"$tmp/lserver-$pair.log" 2>&1
	spid=$TOPO_BG_PID
	topo_wait 10 grep -q listening "$tmp/lserver-$pair.log" || return 1
	say "$pair: goodput over 20 ms RTT, 1% loss, ${T_LOSSY}s"
	if out=$(on c timeout $((T_LOSSY + 60)) "$cbin" send "$d4" "$port" "$BULK_BYTES" "$T_LOSSY"); then
		R[$pair.lossy]=$(calc "$(kv gbps "$out") * 1000" 1)
		say "$pair lossy: ${R[$pair.lossy]} Mbit/s ($out)"
	fi
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
TOPO_LOSSY=$TOPO_LINK

# --- the run -------------------------------------------------------------------

say "topology: a-b veth ($ifa/$ifb), c-d linkem ($ifc/$ifd); $CONNS connections; durations x$M"
for pair in $PAIRS; do
	case $pair in
	linux-linux)
		pair_main "$pair" "$BT" "$BT"
		lossy_run "$pair" "$BT" "$BT"
		;;
	xtcp-linux)
		topo_exec a ip link set dev "$ifa" xdpdrv obj \
			"$BUILD/bpf/xdp_pass.bpf.o" sec xdp
		xtcpd_start b "$ifb" && pair_main "$pair" "$BT" "$BTX"
		xtcpd_stop b
		xtcpd_start d "$ifd" && lossy_run "$pair" "$BT" "$BTX"
		xtcpd_stop d
		topo_exec a ip link set dev "$ifa" xdp off
		;;
	xtcp-xtcp)
		xtcpd_start a "$ifa" && xtcpd_start b "$ifb" &&
			pair_main "$pair" "$BTX" "$BTX"
		xtcpd_stop a
		xtcpd_stop b
		xtcpd_start c "$ifc" && xtcpd_start d "$ifd" &&
			lossy_run "$pair" "$BTX" "$BTX"
		xtcpd_stop c
		xtcpd_stop d
		;;
	*) say "unknown pair $pair" ;;
	esac
done

# --- report ------------------------------------------------------------------

# key|label|unit|better (hi/lo)
ROWS='bulk_ab|bulk a->b, 1 stream|Gbit/s|hi
bulk_ba|bulk b->a, 1 stream|Gbit/s|hi
rr_p50|rr 64 B latency p50|us|lo
rr_p99|rr 64 B latency p99|us|lo
crr|connect/request/close|conn/s|hi
lossy|goodput 20ms RTT 1% loss|Mbit/s|hi
mem|memory per idle conn|KB|lo
cpu_bulk_ab|CPU per GB, bulk a->b|s/GB|lo
cpu_bulk_ba|CPU per GB, bulk b->a|s/GB|lo'
ratio() { # X BASE
	[ -n "$1" ] && [ -n "$2" ] && awk -v x="$1" -v b="$2" \
		'BEGIN { if (b + 0 != 0) printf "%.2f", x / b }'
}
val() { echo "${R[$1]:-}"; }
show() { # VALUE NOTE
	if [ -n "$1" ]; then
		echo "$1${2:+ (!)}"
	else
		echo "${2:-not measured}"
	fi
}
{
	printf '%-28s %-7s %13s %13s %13s %6s %6s\n' metric unit linux-linux \
		xtcp-linux xtcp-xtcp xL/LL xx/LL
	while IFS='|' read -r k label unit _; do
		ll=$(val "linux-linux.$k") xl=$(val "xtcp-linux.$k") xx=$(val "xtcp-xtcp.$k")
		printf '%-28s %-7s %13s %13s %13s %6s %6s\n' "$label" "$unit" \
			"$(show "$ll" "${N[linux-linux.$k]:-}")" \
			"$(show "$xl" "${N[xtcp-linux.$k]:-}")" \
			"$(show "$xx" "${N[xtcp-xtcp.$k]:-}")" \
			"$(ratio "$xl" "$ll")" "$(ratio "$xx" "$ll")"
	done <<<"$ROWS"
} >"$OUT/bench.txt"
echo
echo "xtcp bench, $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs; durations x$M, $CONNS idle connections"
cat "$OUT/bench.txt"
echo "(ratio = xtcp pair / linux-linux; higher is better for Gbit/s, conn/s, Mbit/s, lower for us, KB, s/GB)"
for k in "${!N[@]}"; do
	echo "note: $k: ${N[$k]}"
done | sort
for p in $PAIRS; do
	[ -n "${R[$p.held]:-}" ] && echo "$p memory: ${R[$p.held]} held; KB/conn kernel ${R[$p.mem_kernel]} + processes ${R[$p.mem_user]}"
done

# JSON (null where not measured).
while IFS='|' read -r k label unit better; do
	echo "$k|$label|$unit|$better|$(val "linux-linux.$k")|$(val "xtcp-linux.$k")|$(val "xtcp-xtcp.$k")|${N[linux-linux.$k]:-}|${N[xtcp-linux.$k]:-}|${N[xtcp-xtcp.$k]:-}"
done <<<"$ROWS" | python3 -c '
import json, sys
rows = []
num = lambda s: float(s) if s else None
for line in sys.stdin:
    k, label, unit, better, ll, xl, xx, nll, nxl, nxx = line.rstrip("\n").split("|")
    notes = {n: v for n, v in (("linux_linux", nll), ("xtcp_linux", nxl), ("xtcp_xtcp", nxx)) if v}
    ll, xl, xx = num(ll), num(xl), num(xx)
    r = lambda a: round(a / ll, 3) if a is not None and ll else None
    rows.append(dict(metric=k, label=label, unit=unit,
                     better="higher" if better == "hi" else "lower",
                     linux_linux=ll, xtcp_linux=xl, xtcp_xtcp=xx,
                     ratio_xtcp_linux=r(xl), ratio_xtcp_xtcp=r(xx), notes=notes))
cfg = dict(zip(sys.argv[1::2], sys.argv[2::2]))
methods = {
 "topology": "client in host a, server in host b, one veth pair, tx checksum offload off on both ends; goodput: hosts c and d through linkem (delay 10 ms and loss 1% each way, seed 7). Linux runs the congestion control LINUX_CC (default cubic) in every host; so does xtcp (its tunable congestion_control). linux-linux: no XDP, no xtcpd; xtcp-linux: xtcpd in b (d), xdp_pass on a; xtcp-xtcp: xtcpd in a and b (c and d)",
 "program": "tools/benchtool/benchtool.c over the socket API (benchtool) and over libxtcp (benchtool-xtcp, -DBENCH_XTCP)",
 "bulk": "one connection, 64 KB writes for T seconds (or the byte cap); a->b ends when the server has counted every byte",
 "rr": "one connection, TCP_NODELAY, 64-byte write then 64-byte read; one CLOCK_MONOTONIC sample per message",
 "crr": "serial: connect, 64-byte request, 64-byte answer, the server closes first, the client closes",
 "memory": "N idle connections held by ceil(N/500) client and as many server processes (libxtcp has 1024 slots a process); delta of /proc/meminfo Slab + /proc/net/sockstat TCP mem pages, plus delta of Pss (smaps_rollup) of the holding processes and the xtcpds; counts both ends of each connection; divided by the number held",
 "cpu": "client getrusage + server and xtcpd /proc/PID/stat utime+stime deltas + machine-wide irq+softirq delta from /proc/stat (Linux receive work on veth runs there and cannot be tied to one process), divided by GB moved"}
json.dump(dict(config=cfg, methods=methods, results=rows), sys.stdout, indent=1)
print()
' duration_multiplier "$M" conns "$CONNS" held_per_process "$PER_PROC" \
	kernel "$(uname -r)" cpus "$(nproc)" date "$(date -u +%FT%TZ)" >"$OUT/bench.json"

if command -v gnuplot >/dev/null; then
	python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    f = lambda v: "%g" % v if v is not None else "NaN"
    print("\"%s (%s)\" %s %s" % (r["label"], r["unit"], f(r["ratio_xtcp_linux"]), f(r["ratio_xtcp_xtcp"])))
' "$OUT/bench.json" >"$tmp/ratios.dat"
	gnuplot <<EOF 2>"$tmp/gnuplot.err" || cat "$tmp/gnuplot.err" >&2
set terminal pngcairo size 1200,650 font ",10"
set output "$OUT/bench.png"
set title "xtcp / Linux TCP, ratio to linux-linux (1.0 dashed); Gbit/s, conn/s, Mbit/s: higher is better; us, KB, s/GB: lower is better"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -20 noenhanced
set bmargin 8
set grid ytics
set ylabel "xtcp / linux-linux"
set key top right
set yrange [0:*]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 front
plot "$tmp/ratios.dat" using 2:xtic(1) title "xtcp-linux", \
     "" using 3 title "xtcp-xtcp", \
     "" using (\$0 - 0.15):2:(sprintf("%.2f", \$2)) with labels offset 0,0.7 notitle, \
     "" using (\$0 + 0.15):3:(sprintf("%.2f", \$3)) with labels offset 0,0.7 notitle
EOF
fi
echo "wrote $OUT/bench.txt $OUT/bench.json $OUT/bench.png; $(($(date +%s) - T0)) s"
