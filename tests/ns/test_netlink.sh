#!/usr/bin/env bash
# xtcpd's view of the kernel through netlink (user/daemon/netlink.c) and its
# port reservation (user/daemon/reserve_ports.c), checked against `ip` in
# test hosts a — r — b (r forwards). tests/ns/nl_probe.c drives the library;
# everything runs inside this run's namespaces.
set -u
. "$(dirname "$0")/../lib.sh"
. "$XTCP_ROOT/tools/topo.sh"

require_netns netlink
P=$BUILD/tests/ns/nl_probe
if [ ! -x "$P" ]; then
	fail netlink "$P not built (make BUILD=...)"
	exit 0
fi

SYSCTL=/proc/sys/net/ipv4/ip_local_reserved_ports

topo_init || exit 1
tmp=$(mktemp -d)
topo_defer "rm -rf '$tmp'"
topo_host a && topo_host r && topo_host b &&
	topo_link a r --mtu 1400 && topo_link r b || {
	fail netlink "could not build the topology"
	exit 0
}
topo_forward r
topo_route a 198.18.1.0/24 r && topo_route a 2001:db8:1::/64 r &&
	topo_route b 198.18.0.0/24 r && topo_route b 2001:db8::/64 r || {
	fail netlink "could not add routes"
	exit 0
}
ifa=$(topo_ifname a r)

# topo.sh writes 2001:db8:0::1; the probe and `ip` print 2001:db8::1.
addr() { "$P" canon "$(topo_addr "$@")"; }
cidr() { "$P" canon "$(topo_cidr "$@")"; }

# Value of KEY in the probe's "KEY VALUE" output $out.
val() {
	echo "$out" | awk -v k="$1" '$1 == k { print $2; exit }'
}

expect() { # WHAT GOT WANT
	[ "$2" = "$3" ] || {
		echo "$1: got '$2', want '$3'"
		return 1
	}
}

link_matches() {
	local ifindex mtu
	out=$(topo_exec a "$P" link "$ifa") || {
		echo "$out"
		return 1
	}
	ifindex=$(topo_exec a ip -o link show dev "$ifa" | cut -d: -f1)
	mtu=$(topo_exec a cat "/sys/class/net/$ifa/mtu")
	expect ifindex "$(val ifindex)" "$ifindex" &&
		expect mtu "$(val mtu)" "$mtu" &&
		expect "mtu set by the topology" "$mtu" 1400 &&
		expect mac "$(val mac)" "$(topo_mac a r)"
}

# The same addresses, IPv4 and IPv6 (link-local included), as `ip addr`.
addrs_match() {
	local mine theirs
	out=$(topo_exec a "$P" link "$ifa") || return 1
	mine=$(echo "$out" | awk '$1 == "addr" { print $2 }' | sort)
	theirs=$(topo_exec a ip -o addr show dev "$ifa" |
		awk '{ print $4 }' | sort)
	expect addresses "$(echo "$mine" | tr '\n' ' ')" \
		"$(echo "$theirs" | tr '\n' ' ')" &&
		echo "$mine" | grep -qx "$(cidr a r 4)" &&
		echo "$mine" | grep -qx "$(cidr a r 6)"
}

route_onlink() { # FAMILY
	out=$(topo_exec a "$P" route "$(addr r a "$1")") || {
		echo "$out"
		return 1
	}
	expect dev "$(val dev)" "$ifa" &&
		expect via "$(val via)" none &&
		expect nexthop "$(val nexthop)" "$(addr r a "$1")" &&
		expect src "$(val src)" "$(addr a r "$1")" &&
		expect mtu "$(val mtu)" 1400
}

route_gateway() { # FAMILY
	out=$(topo_exec a "$P" route "$(addr b r "$1")") || {
		echo "$out"
		return 1
	}
	expect dev "$(val dev)" "$ifa" &&
		expect via "$(val via)" "$(addr r a "$1")" &&
		expect nexthop "$(val nexthop)" "$(addr r a "$1")" &&
		expect src "$(val src)" "$(addr a r "$1")"
}

route_none() { # ADDR
	out=$(topo_exec a "$P" route "$1")
	expect answer "$out" "error ENETUNREACH"
}

# First lookup: -EAGAIN (the kernel was asked to resolve); then, from the
# notification, the peer's MAC, within 3 s.
neigh_resolves() { # FAMILY
	topo_exec a ip -"$1" neigh flush dev "$ifa" >/dev/null 2>&1
	out=$(topo_exec a "$P" neigh "$ifa" "$(addr r a "$1")" 3000) || {
		echo "$out" | tr '\n' ' '
		return 1
	}
	expect first "$(val first)" EAGAIN &&
		expect mac "$(val mac)" "$(topo_mac r a)" &&
		expect callback "$(echo "$out" | awk '$1 == "callback" { print $3 }')" \
			"$(topo_mac r a)" &&
		[ "$(val elapsed_ms)" -le 3000 ]
}

# A new client finds the entry in its initial dump: no request needed.
neigh_cached() { # FAMILY
	out=$(topo_exec a "$P" neigh "$ifa" "$(addr r a "$1")" 1000) &&
		expect first "$(val first)" 0 &&
		expect mac "$(val mac)" "$(topo_mac r a)"
}

# Nobody has 198.18.0.99: the kernel's resolution ends NUD_FAILED (probes
# shortened for the test), reported through the callback and EHOSTUNREACH.
neigh_fails() {
	topo_exec a sysctl -qw "net.ipv4.neigh.$ifa.mcast_solicit=1" \
		"net.ipv4.neigh.$ifa.ucast_solicit=1" \
		"net.ipv4.neigh.$ifa.retrans_time_ms=200" || return 1
	out=$(topo_exec a "$P" neigh "$ifa" 198.18.0.99 3000)
	expect first "$(val first)" EAGAIN &&
		expect callback "$(echo "$out" | awk '$1 == "callback" { print $3 }')" \
			failed &&
		expect result "$(val result)" EHOSTUNREACH
}

addr_notified() { # ADDR/PREFIX [nodad]
	out=$(topo_exec a "$P" watch-addr "$ifa" "${1%/*}" 2000 -- \
		ip addr add "$1" dev "$ifa" ${2:-}) || {
		echo "$out"
		return 1
	}
	expect seen "$(val seen)" "${1%/*}" &&
		topo_exec a ip -o addr show dev "$ifa" | grep -q " ${1} "
}

# A cached answer is dropped when a route notification arrives.
route_notified() {
	out=$(topo_exec a "$P" watch-route 198.18.5.1 2000 -- \
		ip route add 198.18.5.0/24 via "$(addr r a 4)") || {
		echo "$out"
		return 1
	}
	expect before "$(val before)" ENETUNREACH &&
		expect after "$(val after)" "$(addr r a 4)"
}

# More notifications than the socket holds: the kernel reports ENOBUFS and
# the client reloads its tables from dumps, ending with what `ip` shows.
overflow_resyncs() {
	local i want
	for ((i = 100; i < 200; i++)); do
		echo "addr add 198.18.0.$i/32 dev $ifa"
	done >"$tmp/batch"
	out=$(topo_exec a "$P" overflow "$ifa" 300 -- ip -batch "$tmp/batch") || {
		echo "$out"
		return 1
	}
	want=$(topo_exec a ip -o addr show dev "$ifa" | wc -l)
	[ "$(val resyncs)" -ge 1 ] || {
		echo "no overflow happened (resyncs $(val resyncs))"
		return 1
	}
	expect addresses "$(val addrs)" "$want"
}

# Reserved inside a, and only there: the sysctl is per namespace. Read in
# a, in b and in this script's namespace while the reservation holds.
reserve_in_netns() {
	local before_a before_b before_self after_a
	before_a=$(topo_exec a cat $SYSCTL)
	before_b=$(topo_exec b cat $SYSCTL)
	before_self=$(cat $SYSCTL)
	cat >"$tmp/during.sh" <<-EOF
		cat $SYSCTL >"$tmp/in_a"
		ip netns exec "$(topo_ns b)" cat $SYSCTL >"$tmp/in_b"
		nsenter --net=/proc/$$/ns/net cat $SYSCTL >"$tmp/in_self"
	EOF
	out=$(topo_exec a "$P" reserve 61000 65535 -- sh "$tmp/during.sh") || {
		echo "$out"
		return 1
	}
	after_a=$(topo_exec a cat $SYSCTL)
	expect "in a" "$(cat "$tmp/in_a")" \
		"$(echo "${before_a:+$before_a,}61000-65535")" &&
		expect "in b" "$(cat "$tmp/in_b")" "$before_b" &&
		expect "outside" "$(cat "$tmp/in_self")" "$before_self" &&
		expect "restored" "$after_a" "$before_a" &&
		expect "linux ports left" "$(val left)" \
			"$(topo_exec a awk '{ print $2 - $1 + 1 }' \
				/proc/sys/net/ipv4/ip_local_port_range)"
}

# Linux's bind(port 0) honours it, for IPv4 and IPv6 alike: with Linux's
# range 40000-40009 and 40000-40007 reserved, two ports remain.
reserve_honoured() { # FAMILY
	local ports
	topo_exec a sysctl -qw "net.ipv4.ip_local_port_range=40000 40009" ||
		return 1
	out=$(topo_exec a "$P" reserve 40000 40007 -- "$P" bind-any "$1" 3)
	ports=$(echo "$out" | sed -n 2p)
	expect "linux ports left" "$(val left)" 2 &&
		expect ports "$(echo "$ports" | tr ' ' '\n' | sort | tr '\n' ' ')" \
			"40008 40009 EADDRINUSE "
}

# The interplay: xtcp's default 32768-65535 leaves Linux's default range
# 32768-60999 without a port.
reserve_default_range() {
	topo_exec b sysctl -qw "net.ipv4.ip_local_port_range=32768 60999" &&
		out=$(topo_exec b "$P" reserve 32768 65535 -- true) &&
		expect "linux ports left" "$(val left)" 0 &&
		expect restored "$(topo_exec b cat $SYSCTL)" ""
}

check "netlink: link ifindex, mtu, mac match ip link" link_matches
check "netlink: addresses v4+v6 match ip addr" addrs_match
check "netlink: route get peer ipv4: interface, no gateway" route_onlink 4
check "netlink: route get peer ipv6: interface, no gateway" route_onlink 6
check "netlink: route get routed ipv4: gateway" route_gateway 4
check "netlink: route get routed ipv6: gateway" route_gateway 6
check "netlink: route get unrouted ipv4: ENETUNREACH" route_none 198.18.9.9
check "netlink: route get unrouted ipv6: ENETUNREACH" route_none 2001:db8:9::9
check "netlink: neighbour ipv4: EAGAIN, then peer MAC" neigh_resolves 4
check "netlink: neighbour ipv6: EAGAIN, then peer MAC" neigh_resolves 6
check "netlink: neighbour ipv4 known from the initial dump" neigh_cached 4
check "netlink: neighbour ipv6 known from the initial dump" neigh_cached 6
check "netlink: neighbour resolution failure: EHOSTUNREACH" neigh_fails
check "netlink: ipv4 address added shows up via notification" \
	addr_notified 198.18.0.77/32
check "netlink: ipv6 address added shows up via notification" \
	addr_notified 2001:db8::77/128 nodad
check "netlink: route notification invalidates the cache" route_notified
check "netlink: notification overflow (ENOBUFS) reloads the tables" \
	overflow_resyncs
check "reserve_ports: written and restored in the netns only" reserve_in_netns
check "reserve_ports: Linux bind(0) skips reserved ports (ipv4)" \
	reserve_honoured 4
check "reserve_ports: Linux bind(0) skips reserved ports (ipv6)" \
	reserve_honoured 6
check "reserve_ports: 32768-65535 leaves Linux no ephemeral port" \
	reserve_default_range
