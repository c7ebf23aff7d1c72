#!/usr/bin/env bash
# SACK (RFC 2018 + RFC 6675 loss recovery) against NewReno (RFC 6582)
# without SACK: the bytes each retransmits for the same transfers at 1-10%
# random loss. One-way bulk transfers of 3 MB over a 20 ms link with window
# scaling (so windows grow large enough for several losses per window, where
# NewReno repairs one hole per round trip and often ends in a timeout that
# goes back over data the receiver has), summed over SEEDS seeds per loss
# rate. PASS when SACK retransmits fewer bytes at every loss rate, and every
# run delivered its data intact.
. "$(dirname "$0")/../lib.sh"

SIM=$BUILD/xtcp-sim
if [ ! -x "$SIM" ]; then
	fail "xtcp-sim built" "$SIM missing"
	exit 1
fi
SEEDS=${SEEDS:-12}
ARGS="--oneway --wscale --delay 20 --queue 0 --bytes 3M"

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# rexmit ARGS...: total retransmitted bytes of one run; empty if it failed.
rexmit() {
	"$SIM" "$@" >"$out" 2>&1 || return 1
	sed -n 's/^retransmitted bytes: .*total \([0-9]*\)$/\1/p' "$out"
}

printf '%-6s %16s %16s %8s\n' "loss" "NewReno bytes" "SACK bytes" "SACK/NR"
bad=0 broken=""
for pct in 1 2 3 4 5 6 7 8 9 10; do
	loss=$(awk -v x="$pct" 'BEGIN { printf "%.2f", x / 100 }')
	nr=0 sk=0
	for seed in $(seq 1 "$SEEDS"); do
		if ! a=$(rexmit $ARGS --loss "$loss" --seed "$seed"); then
			broken="$broken newreno/$loss/$seed"
			a=0
		fi
		if ! b=$(rexmit $ARGS --sack --loss "$loss" --seed "$seed"); then
			broken="$broken sack/$loss/$seed"
			b=0
		fi
		nr=$((nr + a)) sk=$((sk + b))
	done
	printf '%-6s %16d %16d %8s\n' "$pct%" "$nr" "$sk" \
		"$(awk -v a="$sk" -v b="$nr" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
	[ "$sk" -lt "$nr" ] || bad=$((bad + 1))
done

if [ -n "$broken" ]; then
	fail "sack table runs" "failed:$broken"
else
	pass "sack table runs"
fi
if [ "$bad" -eq 0 ]; then
	pass "SACK retransmits fewer bytes than NewReno at 1-10% loss"
else
	fail "SACK retransmits fewer bytes than NewReno at 1-10% loss" "$bad loss rate(s) where it does not"
fi
exit 0
