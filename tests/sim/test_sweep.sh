#!/usr/bin/env bash
# The deterministic simulator: a sweep of seeds over loss 0-20% with
# duplication, reordering and corruption on, over IPv4 and IPv6, and the
# 10 MB run of issue 3's example. Each xtcp-sim run exits 0 only if every
# byte arrived exactly once, in order, and both ends closed cleanly.
. "$(dirname "$0")/../lib.sh"

SIM=$BUILD/xtcp-sim
if [ ! -x "$SIM" ]; then
	fail "xtcp-sim built" "$SIM missing"
	exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

fails=0
for seed in $(seq 1 200); do
	loss=$(awk -v s="$seed" 'BEGIN { printf "%.3f", (s % 21) / 100 }')
	fam=""
	[ $((seed % 2)) -eq 0 ] && fam="--ipv6"
	# The negotiated options: seed % 4 picks a combination (with seed % 2
	# choosing the family, each appears over IPv4 and IPv6), and every
	# eighth seed adds an ECN-marking queue.
	case $((seed % 4)) in
	0) opts="" ;;
	1) opts="--sack --ts" ;;
	2) opts="--wscale --ecn" ;;
	3) opts="--sack --ts --wscale --ecn" ;;
	esac
	[ $((seed % 8)) -ge 6 ] && opts="$opts --rate 20 --queue 64K --mark-threshold 16K"
	args="--bytes 300K --seed $seed --loss $loss --dup 0.02 --reorder 0.05 --corrupt 0.01 $fam $opts"
	name="sim seed $seed loss $loss ${fam:-ipv4}${opts:+ $opts}"
	if "$SIM" $args >"$out" 2>&1; then
		want=""
		case $opts in *--sack*) want="SACK yes" ;; esac
		if [ -n "$want" ] && ! grep -q "negotiated:.*$want" "$out"; then
			fail "$name" "not negotiated: $(grep negotiated "$out")"
		else
			pass "$name"
		fi
	else
		fail "$name" "xtcp-sim $args: $(grep -E 'result|error|stall|limit' "$out" | tr '\n' ' ')"
		fails=$((fails + 1))
	fi
done

# The example from the issue, at full size, and a lossless baseline; with
# every option, and ECN marking doing the work of drops.
for args in "--bytes 10M --loss 0.05 --dup 0.02 --reorder 0.05 --corrupt 0.01 --seed 7" \
	"--bytes 10M --seed 1" "--bytes 10M --seed 2 --ipv6 --delay 20 --jitter 5" \
	"--bytes 10M --loss 0.05 --dup 0.02 --reorder 0.05 --corrupt 0.01 --seed 7 --sack --ts --wscale --ecn" \
	"--bytes 10M --seed 3 --sack --ts --wscale --ecn --rate 20 --queue 128K --mark-threshold 20K"; do
	if "$SIM" $args >"$out" 2>&1; then
		pass "sim $args"
	else
		fail "sim $args" "$(grep -E 'result|error|stall|limit' "$out" | tr '\n' ' ')"
	fi
done

# The simulator must be able to fail: a link that loses everything.
if "$SIM" --bytes 10K --loss 1 --time-limit 600 >"$out" 2>&1; then
	fail "sim fails when nothing gets through" "exit 0 with 100% loss"
else
	grep -q "result: FAIL" "$out" && pass "sim fails when nothing gets through" ||
		fail "sim fails when nothing gets through" "$(tail -2 "$out")"
fi
exit 0
