#!/usr/bin/env bash
# Two hosts joined by a veth pair ping each other over IPv4 and IPv6; the
# topology helper leaves nothing behind, neither on a normal exit nor when
# the test is killed by a signal.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

require_netns ping

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bounded: three echoes 0.2 s apart, two seconds for each reply at most.
ping_ok() { # HOST ADDR
	topo_exec "$1" ping -q -c 3 -i 0.2 -W 2 "$2"
}

no_default_route() {
	local h
	for h in a b; do
		[ -z "$(topo_exec "$h" ip -4 route show default)" ] &&
			[ -z "$(topo_exec "$h" ip -6 route show default)" ] ||
			return 1
	done
}

# Every global address is inside 198.18.0.0/15 or 2001:db8::/32.
test_ranges_only() {
	local h a
	for h in a b; do
		for a in $(topo_exec "$h" ip -o addr show scope global |
			awk '{ print $4 }'); do
			case $a in
			198.18.* | 198.19.* | 2001:db8:*) ;;
			*)
				echo "$h has $a"
				return 1
				;;
			esac
		done
	done
}

# Print "ID IFTAG BGPID" of a topology; the caller checks it is gone.
record_run() {
	echo "$TOPO_ID $TOPO_IFTAG $TOPO_BG_PID" >"$1"
}

# Nothing of run ID (interface tag TAG, background pid PID) remains.
run_gone() { # ID TAG PID
	local ns
	if ip netns list | grep -q "^$1-"; then
		echo "namespaces left: $(ip netns list | grep "^$1-")"
		return 1
	fi
	if ip -o link show | grep -q "$2l"; then
		echo "interfaces left in the root namespace"
		return 1
	fi
	# Nor moved into any other namespace.
	for ns in $(ip netns list | awk '{ print $1 }'); do
		if ip -n "$ns" -o link show 2>/dev/null | grep -q "$2l"; then
			echo "interface left in $ns"
			return 1
		fi
	done
	if [ -e "$TOPO_STATE_ROOT/$1" ]; then
		echo "state directory left"
		return 1
	fi
	if grep -q " $TOPO_STATE_ROOT/$1/" /proc/mounts; then
		echo "bpffs left mounted"
		return 1
	fi
	if kill -0 "$3" 2>/dev/null; then
		echo "background process $3 still running"
		return 1
	fi
}

# The topology lives in a subshell: its EXIT trap must clean up.
(
	topo_init || exit 1
	topo_host a && topo_host b && topo_link a b || exit 1
	topo_bg b sleep 60
	record_run "$tmp/run1"

	check "ping ipv4 a->b" ping_ok a "$(topo_addr b a 4)"
	check "ping ipv4 b->a" ping_ok b "$(topo_addr a b 4)"
	check "ping ipv6 a->b" ping_ok a "$(topo_addr b a 6)"
	check "ping ipv6 b->a" ping_ok b "$(topo_addr a b 6)"
	check "no default route" no_default_route
	check "test address ranges only" test_ranges_only
)
if [ -s "$tmp/run1" ]; then
	# shellcheck disable=SC2046
	check "cleanup on exit" run_gone $(cat "$tmp/run1")
else
	fail "topology" "could not build two hosts and a link"
fi

# Killed by a signal while its hosts are up: the TERM trap cleans up.
(
	topo_init || exit 1
	topo_host a && topo_host b && topo_link a b || exit 1
	topo_bg a sleep 30
	record_run "$tmp/run2.tmp"
	mv "$tmp/run2.tmp" "$tmp/run2"
	# `wait` (unlike a foreground command) is interrupted by the trap.
	wait "$TOPO_BG_PID"
) &
sub=$!
for _ in $(seq 100); do
	[ -s "$tmp/run2" ] && break
	sleep 0.1
done
if [ -s "$tmp/run2" ]; then
	kill -TERM "$sub"
	wait "$sub"
	# shellcheck disable=SC2046
	check "cleanup on signal" run_gone $(cat "$tmp/run2")
else
	kill -KILL "$sub" 2>/dev/null
	wait "$sub"
	fail "cleanup on signal" "topology did not come up"
fi
