#!/usr/bin/env bash
# linkem (tools/linkem) between hosts a and b through topo_linkem: with no
# impairment ping (IPv4, IPv6) and TCP pass unchanged; then each impairment,
# set at run time over the control socket in direction ab (a to b) only, is
# measured from outside (ping, TCP, the receiver's MIB counters) and by
# linkem's own statistics, against the setting with a tolerance of at
# least three standard deviations of the sample. Timings are only ever
# checked as bounds the emulator guarantees (a frame never leaves early) or
# with generous margins (a shared 2-core machine). Every flood is bounded in
# count; everything stays inside the run's namespaces.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

LINKEM=$BUILD/linkem
export LINKEM

if [ "$(id -u)" -ne 0 ]; then
	skip linkem "needs root"
	exit 0
fi
if ! ip netns add "xtprobe$$" 2>/dev/null; then
	skip linkem "network namespaces unsupported"
	exit 0
fi
ip netns del "xtprobe$$"
if [ ! -x "$LINKEM" ]; then
	fail linkem "no $LINKEM (make BUILD=...)"
	exit 0
fi

topo_init || exit 1
topo_host a && topo_host b || exit 1
if ! topo_linkem a b --seed 42; then
	fail "linkem topology" "topo_linkem failed"
	exit 0
fi
L=$TOPO_LINK
LOG=$TOPO_DIR/lem$L.log
# Whole checksums from the senders (linkem would complete partial ones,
# but the corruption check wants the receiver to see exactly its flips).
topo_tx_off a && topo_tx_off b || exit 1
a4=$(topo_addr a b 4)
b4=$(topo_addr b a 4)
b6=$(topo_addr b a 6)
tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"

DEFAULTS="both delay 0 jitter 0 jitter-reorder off loss 0 ge-p 0 ge-r 1
	ge-h 0 ge-k 1 dup 0 reorder 0 reorder-delay 10 corrupt 0 rate 0
	queue 131072"

# lem_set ARGS...: back to no impairment, then ARGS; statistics zeroed.
lem_set() {
	# shellcheck disable=SC2086
	topo_linkem_ctl "$L" set $DEFAULTS "$@" >/dev/null &&
		topo_linkem_ctl "$L" reset >/dev/null
}

# lem_stat DIR KEY: one of linkem's counters.
lem_stat() {
	topo_linkem_ctl "$L" stats | awk -v d="$1" -v k="$2" '
		$1 == d { for (i = 2; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] == k) print kv[2] } }'
}

# within V LO HI: LO <= V <= HI (decimals).
within() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

# ping_to OUT ADDR COUNT INTERVAL [ping args]: from a, output in OUT.
ping_to() {
	local out=$1 addr=$2 count=$3 intv=$4
	shift 4
	topo_exec a timeout 60 ping -n -c "$count" -i "$intv" -W 1 "$@" \
		"$addr" >"$out" 2>&1
	return 0
}

# Fields of ping's summary and replies.
ping_tx() { sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$1"; }
ping_rx() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"; }
ping_dups() {
	local d
	d=$(sed -n 's/.* +\([0-9]*\) duplicates.*/\1/p' "$1")
	echo "${d:-0}"
}
# icmp_seq of each reply (not duplicates), in arrival order.
ping_seqs() { grep -v DUP "$1" | sed -n 's/.*icmp_seq=\([0-9]*\) .*/\1/p'; }
ping_times() { sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# say TEXT: a measurement, in check's output (shown on failure) and kept
# for measure, which prints it after the check's line.
say() {
	echo "$*"
	echo "$*" >>"$tmp/say"
}

measure() { # NAME CMD...
	: >"$tmp/say"
	check "$@"
	sed 's/^/  # /' "$tmp/say"
}

ping_ok() { # ADDR
	topo_exec a ping -q -c 3 -i 0.2 -W 2 "$1"
}

# --- no impairment ----------------------------------------------------------

check "linkem: ping ipv4 a->b" ping_ok "$b4"
check "linkem: ping ipv6 a->b" ping_ok "$b6"
check "linkem: ping ipv4 b->a" topo_exec b ping -q -c 3 -i 0.2 -W 2 "$a4"

tcp_bulk() { # BYTES PORT: a sends BYTES of random data to b, SHA-256 checked
	local bytes=$1 port=$2 want got
	head -c "$bytes" /dev/urandom >"$tmp/tx.dat"
	want=$(sha256sum <"$tmp/tx.dat" | cut -d' ' -f1)
	rm -f "$tmp/rx.sum"
	topo_bg b sh -c "timeout 60 nc -l -p $port | sha256sum >$tmp/rx.sum"
	topo_wait_listen b "$port" || return 1
	# The transfer alone is timed (rate_check): connect to close.
	date +%s.%N >"$tmp/t0"
	topo_exec a timeout 60 nc -N "$b4" "$port" <"$tmp/tx.dat" || return 1
	date +%s.%N >"$tmp/t1"
	topo_wait 10 test -s "$tmp/rx.sum" || return 1
	got=$(cut -d' ' -f1 "$tmp/rx.sum")
	[ "$got" = "$want" ] || {
		echo "sha256 mismatch"
		return 1
	}
}

no_damage() {
	local x k v
	for x in ab ba; do
		for k in lost dup corrupted qdrop nobuf oversize tx_err; do
			v=$(lem_stat $x $k)
			[ "$v" = 0 ] || {
				echo "$x $k=$v"
				return 1
			}
		done
	done
}

lem_set
check "linkem: tcp 4 MB a->b intact" tcp_bulk 4000000 5001
check "linkem: nothing lost, duplicated or altered" no_damage

# --- delay ------------------------------------------------------------------

# 20 ms each way: never under 40 ms, the median within a few ms above.
delay_rtt() {
	local min med
	ping_to "$tmp/p" "$b4" 20 0.05
	min=$(ping_times "$tmp/p" | sort -g | head -1)
	med=$(ping_times "$tmp/p" | median)
	say "rtt min $min median $med ms"
	[ "$(ping_rx "$tmp/p")" = 20 ] && within "$min" 40 1000 &&
		within "$med" 40 46
}
lem_set delay 20
measure "linkem: delay 20 ms each way, rtt ~ 40 ms" delay_rtt

# --- jitter -----------------------------------------------------------------

# udp_ooo COUNT PORT: COUNT datagrams of 200 bytes from a to b, paced at
# 500/s (iperf3; ping does not keep its pace while a reply is due); prints
# how many b received after a later one.
udp_ooo() {
	local count=$1 port=$2
	rm -f "$tmp/srv.json"
	topo_bg b timeout 30 iperf3 -s -1 -J -p "$port" >"$tmp/srv.json" 2>&1
	topo_wait_listen b "$port" || return 1
	topo_exec a timeout 30 iperf3 -c "$b4" -p "$port" -u -b 800k -l 200 \
		-k "$count" >/dev/null 2>&1 || return 1
	topo_wait 10 grep -q '"out_of_order"' "$tmp/srv.json" || return 1
	sed -n 's/.*"out_of_order":[[:space:]]*\([0-9]*\).*/\1/p' \
		"$tmp/srv.json" | head -1
}

# Jitter without reordering: datagrams arrive in order, RTTs spread.
jitter_fifo() {
	local min max ooo
	ping_to "$tmp/p" "$b4" 100 0.005
	min=$(ping_times "$tmp/p" | sort -g | head -1)
	max=$(ping_times "$tmp/p" | sort -g | tail -1)
	ooo=$(udp_ooo 500 5201) || return 1
	say "rtt $min..$max ms, $ooo of 500 datagrams out of order," \
		"reordered=$(lem_stat ab reordered)"
	[ "$ooo" = 0 ] && [ "$(lem_stat ab reordered)" = 0 ] &&
		within "$min" 10 1000 && within "$((${max%.*} - ${min%.*}))" 8 1000
}
lem_set ab delay 20 jitter 10
measure "linkem: jitter 10 ms keeps order" jitter_fifo

jitter_reorder() {
	local ooo
	ooo=$(udp_ooo 500 5202) || return 1
	say "$ooo of 500 datagrams out of order," \
		"reordered=$(lem_stat ab reordered)"
	[ "$ooo" -gt 0 ] && [ "$(lem_stat ab reordered)" -gt 0 ]
}
lem_set ab delay 20 jitter 10 jitter-reorder on
measure "linkem: jitter 10 ms with jitter-reorder reorders" jitter_reorder

# --- reordering -------------------------------------------------------------

# 25% held back 10 ms while datagrams go out every 2 ms: each held one is
# overtaken, so it arrives after a later sequence number. (Held frames also
# include the few of iperf3's control connection.)
reorder_check() {
	local n=1000 held ooo
	ooo=$(udp_ooo $n 5203) || return 1
	held=$(lem_stat ab reorder_held)
	say "held $held, b saw $ooo of $n late, linkem reordered" \
		"$(lem_stat ab reordered)"
	within "$held" $((n * 21 / 100)) $((n * 29 / 100 + 20)) &&
		within "$ooo" $((n * 21 / 100)) $((n * 29 / 100)) &&
		within "$ooo" $((held * 85 / 100)) "$held"
}
lem_set ab reorder 0.25 reorder-delay 10
measure "linkem: reorder 25%" reorder_check

# --- loss -------------------------------------------------------------------

loss_check() {
	local n=2000 tx rx lost
	ping_to "$tmp/p" "$b4" $n 0.002
	tx=$(ping_tx "$tmp/p") rx=$(ping_rx "$tmp/p")
	lost=$(lem_stat ab lost)
	say "ping lost $((tx - rx)) of $tx, linkem lost $lost of" \
		"$(lem_stat ab rx)"
	[ "$tx" = $n ] && within $((tx - rx)) 140 260 &&
		within "$lost" 140 260
}
lem_set ab loss 10%
measure "linkem: loss 10% (2000 pings, 7..13%)" loss_check

# Gilbert-Elliott, p 5%, r 25%, h 0, k 1: loss p/(p+r) = 16.7%, bursts of
# 1/r = 4 frames on average. The chain's correlation widens the spread of
# the loss rate (sd ~1.6% over 3000 frames): 16.7% +- 5%, bursts 4 +- 1.2.
ge_check() {
	local n=3000 out lost bursts mean
	ping_to "$tmp/p" "$b4" $n 0.002
	out=$(ping_seqs "$tmp/p" | sort -n | awk -v n=$n '
		{ got[$1] = 1 }
		END {
			for (s = 1; s <= n; s++) {
				if (!got[s]) { lost++; if (!run) bursts++; run = 1 }
				else run = 0
			}
			printf "%d %d %.2f\n", lost, bursts,
				bursts ? lost / bursts : 0
		}')
	read -r lost bursts mean <<<"$out"
	say "ping: lost $lost of $n in $bursts bursts (mean $mean);" \
		"linkem: ge_lost=$(lem_stat ab ge_lost)" \
		"loss_bursts=$(lem_stat ab loss_bursts)"
	within "$lost" $((n * 117 / 1000)) $((n * 217 / 1000)) &&
		within "$mean" 2.8 5.2 &&
		within "$(lem_stat ab ge_lost)" $((n * 117 / 1000)) \
			$((n * 217 / 1000))
}
lem_set ab ge-p 0.05 ge-r 0.25 ge-h 0 ge-k 1
measure "linkem: Gilbert-Elliott loss 16.7%, bursts of 4" ge_check

# --- duplication ------------------------------------------------------------

dup_check() {
	local n=2000 dups
	ping_to "$tmp/p" "$b4" $n 0.002
	dups=$(ping_dups "$tmp/p")
	say "ping saw $dups duplicates of $n, linkem dup=$(lem_stat ab dup)"
	within "$dups" 140 260 && within "$(lem_stat ab dup)" 140 260
}
lem_set ab dup 10%
measure "linkem: duplication 10% (2000 pings, 7..13%)" dup_check

# --- corruption -------------------------------------------------------------

# Sum of the counters b's kernel raises for a frame with one flipped bit
# after the Ethernet header (the Internet checksum catches every one-bit
# error): a bad IPv4 header counts in IpInHdrErrors (and IpExtInCsumErrors,
# left out so it is not counted twice), a bad ICMP message in
# IcmpInCsumErrors.
b_bad() {
	topo_exec b nstat -az | awk '
		$1 ~ /^(IpInHdrErrors|IcmpInCsumErrors|UdpInCsumErrors)$/ ||
		$1 == "TcpInCsumErrors" { s += $2 }
		END { print s + 0 }'
}

corrupt_check() {
	local n=2000 before after bad corrupted tx rx
	before=$(b_bad)
	ping_to "$tmp/p" "$b4" $n 0.002 -s 1000
	after=$(b_bad)
	bad=$((after - before))
	corrupted=$(lem_stat ab corrupted)
	tx=$(ping_tx "$tmp/p") rx=$(ping_rx "$tmp/p")
	say "linkem corrupted $corrupted of $(lem_stat ab rx), b counted" \
		"$bad bad checksums/headers, ping lost $((tx - rx))"
	within "$corrupted" 140 260 &&
		within "$bad" $((corrupted - 2)) $((corrupted + 2)) &&
		within $((tx - rx)) $((corrupted - 2)) $((corrupted + 2))
}
lem_set ab corrupt 10%
measure "linkem: corruption 10% seen as bad checksums" corrupt_check

# --- rate -------------------------------------------------------------------

# 10 Mbit/s of frame bytes: TCP's goodput over 3 MB is a little below
# (headers: 1448 of 1514 bytes; slow start overfilling the queue), well
# above 7.
rate_check() {
	local bytes=3000000 t0 t1 mbit
	tcp_bulk $bytes 5002 || return 1
	t0=$(cat "$tmp/t0") t1=$(cat "$tmp/t1")
	mbit=$(awk -v b=$bytes -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.2f", b * 8 / (t1 - t0) / 1e6 }')
	say "goodput $mbit Mbit/s; qdrop=$(lem_stat ab qdrop)"
	within "$mbit" 7 10.5
}
lem_set ab rate 10
measure "linkem: rate 10 Mbit/s, tcp 3 MB at 7..10.5" rate_check

# --- run-time change, statistics --------------------------------------------

runtime_change() {
	local med
	lem_set || return 1
	ping_to "$tmp/p" "$b4" 5 0.05
	med=$(ping_times "$tmp/p" | median)
	within "$med" 0 5 || {
		say "before: median $med ms"
		return 1
	}
	topo_linkem_ctl "$L" set ab delay 30 >/dev/null || return 1
	ping_to "$tmp/p" "$b4" 5 0.05
	med=$(ping_times "$tmp/p" | median)
	say "median rtt after set ab delay 30: $med ms"
	within "$med" 30 40
}
measure "linkem: set at run time takes effect" runtime_change

# The same seed, the same frames: the same fates. Static neighbours, so the
# pings are the only frames a sends (no ARP probe takes a random draw).
same_seed_same_fates() {
	local r
	topo_exec a ip neigh replace "$b4" lladdr "$(topo_mac b a)" \
		dev "$(topo_ifname a b)" nud permanent &&
		topo_exec b ip neigh replace "$a4" lladdr "$(topo_mac a b)" \
			dev "$(topo_ifname b a)" nud permanent || return 1
	lem_set ab loss 30% || return 1
	for r in 1 2; do
		topo_linkem_ctl "$L" seed 7 >/dev/null || return 1
		ping_to "$tmp/p" "$b4" 200 0.002
		ping_seqs "$tmp/p" | sort -n >"$tmp/seqs$r"
	done
	say "run 1: $(wc -l <"$tmp/seqs1") of 200 replies," \
		"run 2: $(wc -l <"$tmp/seqs2")"
	topo_exec a ip neigh del "$b4" dev "$(topo_ifname a b)"
	topo_exec b ip neigh del "$a4" dev "$(topo_ifname b a)"
	cmp -s "$tmp/seqs1" "$tmp/seqs2" && [ -s "$tmp/seqs1" ]
}
measure "linkem: same seed, same losses" same_seed_same_fates

bad_set_refused() {
	! topo_linkem_ctl "$L" set ab loss 2 2>/dev/null &&
		! topo_linkem_ctl "$L" set ab nosuch 1 2>/dev/null &&
		topo_linkem_ctl "$L" show | grep -q '^ab delay=0 .* loss=0.3 '
}
check "linkem: bad settings refused, nothing changed" bad_set_refused

stats_on_signal() {
	kill -USR1 "$TOPO_LEM_PID" &&
		topo_wait 5 grep -q '^ab rx=[0-9]' "$LOG" &&
		kill -TERM "$TOPO_LEM_PID" &&
		topo_wait 5 sh -c "[ \$(grep -c '^ba rx=[0-9]' '$LOG') = 2 ]"
}
check "linkem: statistics on SIGUSR1 and at exit" stats_on_signal
