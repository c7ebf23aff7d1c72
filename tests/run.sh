#!/usr/bin/env bash
# Run xtcp's test tiers and end with one line over all of them:
#   N passed, N failed[, N skipped]
#
# Tiers:
#   unit  cmocka programs  $BUILD/tests/unit/test_*
#   bpf   cmocka programs  $BUILD/tests/bpf/test_*   (BPF_PROG_TEST_RUN, root)
#   sim   shell scripts    tests/sim/*.sh            (deterministic simulator)
#   ns    shell scripts    tests/ns/test_*.sh        (network namespaces, root)
#
# cmocka programs print their own summaries; their counts are read from
# cmocka's "[  PASSED  ]" / "[  FAILED  ]" lines. Scripts use tests/lib.sh,
# whose checks print "PASS name", "FAIL name" or "SKIP name: why".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
tiers=${1:-all}
[ "$tiers" = all ] && tiers="unit bpf sim ns"

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count_cmocka() { # prog
	local rc p f
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | head -1)
	s=$(sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | head -1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	# A program that died before its summary counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $1: exit status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

count_script() { # script
	local rc p f s
	bash "$1" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $1: exit status $rc"
		f=1
	fi
	if [ "$rc" -eq 0 ] && [ $((p + f + s)) -eq 0 ]; then
		echo "FAIL $1: ran no check"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

for tier in $tiers; do
	echo "=== tier: $tier"
	case $tier in
	unit | bpf)
		for t in "$BUILD"/tests/$tier/test_*; do
			[ -x "$t" ] || continue
			count_cmocka "$t"
		done
		;;
	sim)
		for t in tests/sim/test_*.sh; do
			[ -f "$t" ] || continue
			count_script "$t"
		done
		;;
	ns)
		for t in tests/ns/test_*.sh; do
			[ -f "$t" ] || continue
			count_script "$t"
		done
		;;
	*)
		echo "unknown tier $tier" >&2
		exit 2
		;;
	esac
done

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
