#!/usr/bin/env bash
# topo.sh: network-namespace test topologies for xtcp.
#
# A bash library (source it) that builds test hosts as network namespaces
# joined by veth pairs, addressed only from the benchmarking ranges
# 198.18.0.0/15 and 2001:db8::/32. Nothing is ever sent outside them: both
# ends of every veth are created directly inside namespaces of this run,
# there is no default route, and only routes within the test ranges can be
# added. Needs root and bash >= 4.
#
#   . tools/topo.sh
#   topo_init                        # unique run id, stale-run reaper, traps
#   topo_host a; topo_host b         # namespaces "<id>-a", "<id>-b"
#   topo_link a b [--mtu 1500]       # link 0: a=198.18.0.1 b=198.18.0.2,
#                                    #   2001:db8:0::1/64 and ::2 (nodad)
#   topo_exec a ping -c 3 -W 2 "$(topo_addr b a 4)"
#   topo_bg b iperf3 -s -1           # tracked; killed by topo_cleanup
#   topo_cleanup                     # also runs on EXIT/INT/TERM/HUP
#
# Link N (counted from 0 per run, at most 512 links) gets 198.18.N.0/24
# (198.19.N-256.0/24 from link 256 on) and 2001:db8:N::/64, N in hex; the
# first host named in topo_link gets .1 / ::1, the second .2 / ::2. MACs are
# 02:78:74:NN:NN:01 / :02, so frames built by tests can be predicted.
# Concurrent runs reuse the same addresses in disjoint namespaces.
#
# Functions (all return non-zero and print to stderr on error):
#   topo_init                   start a run; sets TOPO_ID (xt<pid>r<hex>)
#   topo_host HOST              create a host (netns); lo up, forwarding off
#   topo_link A B [--mtu N]     join A and B with a veth pair; sets TOPO_LINK
#                               to the link number and TOPO_IF_A/TOPO_IF_B to
#                               the interface names
#   topo_linkem A B [--mtu N] [LINKEM ARGS...]
#                               join A and B like topo_link (same link number,
#                               addresses, MACs, TOPO_LINK, TOPO_IF_A/B) but
#                               through a link emulator: a middle host
#                               "lem<N>" runs linkem between two veth pairs
#                               and forwards frames at L2 (ARP, ND pass), so
#                               A and B share one /24 and /64. LINKEM ARGS
#                               are its options and impairments ("ab" is A to
#                               B; see tools/linkem/linkem.c), e.g. --seed 7
#                               delay 20 ab loss 1%. The binary is $LINKEM,
#                               else $BUILD/linkem. Sets TOPO_LEM_CTL (its
#                               control socket), TOPO_LEM_PID; its log, with
#                               its statistics at exit, is $TOPO_DIR/lem<N>.log
#   topo_linkem_ctl LINK CMD... ask link LINK's linkem: stats, show, reset,
#                               seed N, flush, set [ab|ba|both] KEY VALUE...
#   topo_linkem_ports LINK      print the middle host's two interfaces of
#                               link LINK (the one facing A first)
#   topo_ns HOST                print the namespace name (for `ip -n` etc.)
#   topo_ifname HOST PEER|LINK  print HOST's interface on the link to PEER (the
#                               first one) or on link number LINK
#   topo_addr HOST PEER|LINK 4|6    print HOST's address on that link
#   topo_cidr HOST PEER|LINK 4|6    ... with its prefix length
#   topo_mac HOST PEER|LINK     print HOST's MAC on that link
#   topo_exec HOST CMD...       run CMD in HOST; /sys/fs/bpf there is HOST's
#                               own bpffs, the same for every topo_exec/topo_bg
#                               of HOST (so pins made by one are seen by the
#                               next), separate from the machine's
#   topo_bg HOST CMD...         run CMD in HOST in the background in its own
#                               process group; sets TOPO_BG_PID. Redirect its
#                               output on the call: topo_bg a srv >log 2>&1
#   topo_wait SECS CMD...       poll CMD every 0.1 s until it succeeds
#   topo_wait_listen HOST PORT [SECS]   wait for a TCP listener in HOST
#   topo_tx_off HOST [IF]       ethtool -K IF tx off (all of HOST's links if IF
#                               is omitted): a Linux sender on veth otherwise
#                               leaves checksums partial, which XDP then sees
#   topo_forward HOST           enable IPv4/IPv6 forwarding in HOST
#   topo_route HOST PREFIX VIA  route PREFIX (inside the test ranges only) via
#                               host VIA's address on their shared link
#   topo_defer CMD...           run CMD (a string for eval) first at cleanup
#   topo_cleanup                kill tracked processes and everything left in
#                               the run's namespaces, delete the namespaces
#                               (and with them the veths), unmount the bpffs;
#                               idempotent
#   topo_reap                   delete namespaces and state of earlier runs
#                               whose owning process is dead (topo_init does)
#
# Call topo_init, topo_host, topo_link and topo_bg directly, not inside $(...)
# or a pipeline: they record state in shell variables. The lookups are fine
# inside $(...). topo_init owns the EXIT/INT/TERM/HUP traps (an EXIT trap the
# top-level script set before it still runs, last); add extra cleanup with
# topo_defer, not trap.
#
# As a command: tools/topo.sh demo-up | demo-down | reap | list
#   demo-up makes hosts "a" and "b" joined by one link under the fixed id
#   "xtdemo" (never reaped: remove it with demo-down).

# shellcheck disable=SC2015,SC2034
# (A && B || C is meant as written; TOPO_* variables are for the caller.)

# Runs of the library use ids "xt<pid>r<4 hex>"; the reaper only ever touches
# namespaces whose name has that shape.
TOPO_STATE_ROOT=${TOPO_STATE_ROOT:-/run/xtcp-topo}
TOPO_MAX_LINKS=512
# The source tree this file is in (for the default linkem binary).
TOPO__ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." 2>/dev/null && pwd)

topo__err() {
	echo "topo: $*" >&2
}

# Start time of a process in clock ticks since boot, or nothing: with the pid
# it identifies the process even after the pid is reused.
topo__starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# Field 2 (comm) may hold spaces; everything after the last ')' is fixed.
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

# Is the owner recorded as "PID STARTTIME" still running?
topo__owner_alive() {
	local pid=$1 start=${2:-} now
	kill -0 "$pid" 2>/dev/null || [ -d "/proc/$pid" ] || return 1
	[ -n "$start" ] || return 0
	now=$(topo__starttime "$pid") || return 1
	[ "$now" = "$start" ]
}

topo__netns_list() {
	ip netns list 2>/dev/null | awk '{ print $1 }'
}

# Kill every process inside namespace $1, politely first.
topo__kill_ns_pids() {
	local ns=$1 pids i
	pids=$(ip netns pids "$ns" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	return 0
}

# Remove run $1's namespaces, bpffs mounts and state directory.
topo__destroy_run() {
	local id=$1 ns m
	for ns in $(topo__netns_list); do
		case $ns in "$id"-*) ;; *) continue ;; esac
		topo__kill_ns_pids "$ns"
		ip netns del "$ns" 2>/dev/null
	done
	if [ -d "$TOPO_STATE_ROOT/$id" ]; then
		for m in "$TOPO_STATE_ROOT/$id"/*.bpf; do
			[ -d "$m" ] || continue
			mountpoint -q "$m" && umount -l "$m" 2>/dev/null
			rmdir "$m" 2>/dev/null
		done
		rm -rf "${TOPO_STATE_ROOT:?}/$id"
	fi
	return 0
}

topo_reap() {
	local ns id pid owner start d
	declare -A seen=()
	for ns in $(topo__netns_list); do
		[[ $ns =~ ^(xt([0-9]+)r[0-9a-f]+)- ]] || continue
		id=${BASH_REMATCH[1]} pid=${BASH_REMATCH[2]}
		[ -z "${seen[$id]:-}" ] || continue
		seen[$id]=1
		[ "${TOPO_ID:-}" != "$id" ] || continue
		start=
		if owner=$(cat "$TOPO_STATE_ROOT/$id/owner" 2>/dev/null); then
			read -r pid start <<<"$owner"
		fi
		topo__owner_alive "$pid" "$start" && continue
		topo__destroy_run "$id"
	done
	# State directories whose namespaces are already gone.
	for d in "$TOPO_STATE_ROOT"/xt*r*; do
		[ -d "$d" ] || continue
		id=${d##*/}
		[[ $id =~ ^xt[0-9]+r[0-9a-f]+$ ]] || continue
		[ "${TOPO_ID:-}" != "$id" ] || continue
		pid=${id#xt} pid=${pid%%r*} start=
		if owner=$(cat "$d/owner" 2>/dev/null); then
			read -r pid start <<<"$owner"
		fi
		topo__owner_alive "$pid" "$start" && continue
		topo__destroy_run "$id"
	done
	return 0
}

topo__on_signal() {
	topo_cleanup
	trap - "$1"
	# Re-raise so the caller sees the usual "killed by signal" status.
	kill -s "$1" "$BASHPID"
}

topo_init() {
	local pid start prev
	if [ -n "${TOPO_ID:-}" ]; then
		topo__err "topo_init: already initialised ($TOPO_ID)"
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		topo__err "topo_init: needs root"
		return 1
	fi
	for pid in ip ethtool mountpoint setsid; do
		command -v "$pid" >/dev/null || {
			topo__err "topo_init: $pid not found"
			return 1
		}
	done
	# $BASHPID, not $$: in a subshell the owner is the subshell, which is
	# also the process whose EXIT trap cleans up.
	pid=$BASHPID
	start=$(topo__starttime "$pid") || start=
	TOPO_ID=$(printf 'xt%dr%04x' "$pid" $((RANDOM & 0xffff)))
	# Interface names carry the run's random part (unique enough to find
	# in a dump, and always <= 15 chars: "xt" 4 hex "l" N side).
	TOPO_IFTAG=xt${TOPO_ID##*r}
	TOPO_DIR=$TOPO_STATE_ROOT/$TOPO_ID
	TOPO_CLEANED=0
	declare -gA TOPO_HOSTS=()
	declare -ga TOPO_L_A=() TOPO_L_B=() TOPO_L_IFA=() TOPO_L_IFB=()
	declare -ga TOPO_L_LEM=() TOPO_PIDS=() TOPO_DEFER=()
	TOPO_NLINKS=0

	topo_reap
	mkdir -p "$TOPO_DIR" || return 1
	echo "$pid $start" >"$TOPO_DIR/owner"
	# Keep an EXIT trap the script set before us: it runs last. Not in a
	# subshell, where `trap -p` shows the parent's traps, which the
	# subshell does not run (and must not: they are the parent's).
	prev=$(trap -p EXIT)
	if [ -n "$prev" ] && [ "$BASH_SUBSHELL" -eq 0 ]; then
		eval "set -- $prev"
		TOPO_DEFER+=("$3")
	fi
	trap 'topo_cleanup' EXIT
	trap 'topo__on_signal INT' INT
	trap 'topo__on_signal TERM' TERM
	trap 'topo__on_signal HUP' HUP
	if ! ip netns add "${TOPO_ID}-probe" 2>/dev/null; then
		topo__err "topo_init: cannot create network namespaces"
		return 1
	fi
	ip netns del "${TOPO_ID}-probe"
	export TOPO_ID
	return 0
}

topo__need_init() {
	[ -n "${TOPO_ID:-}" ] || {
		topo__err "call topo_init first"
		return 1
	}
}

topo_ns() {
	topo__need_init || return 1
	local ns=${TOPO_HOSTS[${1:-}]:-}
	[ -n "$ns" ] || {
		topo__err "no host '${1:-}'"
		return 1
	}
	echo "$ns"
}

topo_host() {
	local host=${1:-} ns dir
	topo__need_init || return 1
	# Host names become part of namespace and file names.
	if ! [[ $host =~ ^[A-Za-z0-9_]{1,32}$ ]]; then
		topo__err "topo_host: bad name '$host'"
		return 1
	fi
	if [ -n "${TOPO_HOSTS[$host]:-}" ]; then
		topo__err "topo_host: '$host' exists"
		return 1
	fi
	ns=$TOPO_ID-$host
	ip netns add "$ns" || return 1
	TOPO_HOSTS[$host]=$ns
	# A bpffs of the host's own, bind-mounted at /sys/fs/bpf by topo_exec:
	# `ip netns exec` remounts /sys, so without it every command would
	# see an empty /sys/fs/bpf and pins would not outlive one command.
	dir=$TOPO_DIR/$host.bpf
	mkdir -p "$dir" && mount -t bpf bpf "$dir" || {
		topo__err "topo_host: cannot mount bpffs for '$host'"
		return 1
	}
	ip netns exec "$ns" sh -e -c '
		ip link set lo up
		# Test addresses are usable at once: no duplicate address
		# detection, also for the link-local addresses of new links.
		sysctl -qw net.ipv6.conf.all.accept_dad=0
		sysctl -qw net.ipv6.conf.default.accept_dad=0
		# A host is a host: it answers only for its own addresses and
		# never learns routes from router advertisements.
		sysctl -qw net.ipv6.conf.default.accept_ra=0
		sysctl -qw net.ipv4.ip_forward=0
	' || {
		topo__err "topo_host: cannot set up '$host'"
		return 1
	}
}

# Resolve "PEER or LINK" to a link number, relative to HOST.
topo__link_of() {
	local host=$1 which=$2 n
	if [[ $which =~ ^[0-9]+$ ]]; then
		if [ "$which" -ge "$TOPO_NLINKS" ]; then
			topo__err "no link $which"
			return 1
		fi
		if [ "${TOPO_L_A[$which]}" != "$host" ] &&
			[ "${TOPO_L_B[$which]}" != "$host" ]; then
			topo__err "host '$host' is not on link $which"
			return 1
		fi
		echo "$which"
		return 0
	fi
	for ((n = 0; n < TOPO_NLINKS; n++)); do
		if { [ "${TOPO_L_A[$n]}" = "$host" ] &&
			[ "${TOPO_L_B[$n]}" = "$which" ]; } ||
			{ [ "${TOPO_L_B[$n]}" = "$host" ] &&
				[ "${TOPO_L_A[$n]}" = "$which" ]; }; then
			echo "$n"
			return 0
		fi
	done
	topo__err "no link between '$host' and '$which'"
	return 1
}

# 1 if HOST is the first end of link N, 2 if the second.
topo__side() {
	if [ "${TOPO_L_A[$2]}" = "$1" ]; then echo 1; else echo 2; fi
}

topo__addr() { # N SIDE FAMILY
	local n=$1 side=$2
	if [ "$3" = 4 ]; then
		echo "198.$((18 + n / 256)).$((n % 256)).$side"
	else
		printf '2001:db8:%x::%d\n' "$n" "$side"
	fi
}

topo__mac() { # N SIDE
	printf '02:78:74:%02x:%02x:%02x\n' $((($1 >> 8) & 0xff)) \
		$(($1 & 0xff)) "$2"
}

topo_link() {
	local a=${1:-} b=${2:-} mtu='' n ifa ifb nsa nsb
	topo__need_init || return 1
	shift 2 || {
		topo__err "usage: topo_link A B [--mtu N]"
		return 1
	}
	while [ $# -gt 0 ]; do
		case $1 in
		--mtu)
			mtu=${2:-}
			[[ $mtu =~ ^[0-9]+$ ]] || {
				topo__err "topo_link: bad --mtu"
				return 1
			}
			shift 2
			;;
		*)
			topo__err "topo_link: unknown option '$1'"
			return 1
			;;
		esac
	done
	nsa=$(topo_ns "$a") && nsb=$(topo_ns "$b") || return 1
	if [ "$a" = "$b" ]; then
		topo__err "topo_link: a host cannot link to itself"
		return 1
	fi
	n=$TOPO_NLINKS
	if [ "$n" -ge "$TOPO_MAX_LINKS" ]; then
		topo__err "topo_link: out of addresses ($TOPO_MAX_LINKS links)"
		return 1
	fi
	ifa=${TOPO_IFTAG}l${n}a
	ifb=${TOPO_IFTAG}l${n}b
	# Created inside A with its peer placed straight into B: the pair
	# never exists in the machine's own namespace.
	ip -n "$nsa" link add "$ifa" address "$(topo__mac "$n" 1)" type veth \
		peer name "$ifb" address "$(topo__mac "$n" 2)" netns "$nsb" ||
		return 1
	TOPO_L_A[n]=$a TOPO_L_B[n]=$b TOPO_L_IFA[n]=$ifa TOPO_L_IFB[n]=$ifb
	TOPO_NLINKS=$((n + 1))
	topo__link_up "$nsa" "$ifa" "$n" 1 "$mtu" &&
		topo__link_up "$nsb" "$ifb" "$n" 2 "$mtu" || return 1
	# Until the kernel's link watcher marks a new link operational (up to
	# a second later) its queue discards what is sent: wait, so a test's
	# first packet is not lost.
	topo__wait_oper "$nsa" "$ifa" && topo__wait_oper "$nsb" "$ifb" || {
		topo__err "topo_link: link $n did not come up"
		return 1
	}
	TOPO_LINK=$n TOPO_IF_A=$ifa TOPO_IF_B=$ifb
}

topo__link_up() { # NS IF N SIDE MTU
	local ns=$1 ifn=$2
	if [ -n "$5" ]; then
		ip -n "$ns" link set dev "$ifn" mtu "$5" || return 1
	fi
	ip -n "$ns" addr add "$(topo__addr "$3" "$4" 4)/24" dev "$ifn" &&
		ip -n "$ns" -6 addr add "$(topo__addr "$3" "$4" 6)/64" \
			dev "$ifn" nodad &&
		ip -n "$ns" link set dev "$ifn" up
}

topo__wait_oper() { # NS IF
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(ip netns exec "$1" cat "/sys/class/net/$2/operstate" \
			2>/dev/null)" = up ] && return 0
		sleep 0.05
	done
	return 1
}

# Segmentation offloads off (TSO, USO, ...): a NIC puts only frames of the
# MTU on a wire, and linkem forwards frames as they are. Partial checksums
# are fine: linkem completes them.
topo__no_tso() { # NS IF
	local f off=()
	for f in $(ip netns exec "$1" ethtool -k "$2" | awk -F': ' '
		/(-segmentation|^tx-gso-list): on$/ { gsub(/\t/, "", $1); print $1 }'); do
		off+=("$f" off)
	done
	[ ${#off[@]} -eq 0 ] || ip netns exec "$1" ethtool -K "$2" "${off[@]}" \
		>/dev/null
}

topo_linkem() {
	local a=${1:-} b=${2:-} mtu='' n m ifa ifb ifm1 ifm2 nsa nsb nsm lem sock
	local ifn
	topo__need_init || return 1
	shift 2 || {
		topo__err "usage: topo_linkem A B [--mtu N] [LINKEM ARGS...]"
		return 1
	}
	if [ "${1:-}" = --mtu ]; then
		mtu=${2:-}
		[[ $mtu =~ ^[0-9]+$ ]] || {
			topo__err "topo_linkem: bad --mtu"
			return 1
		}
		shift 2
	fi
	lem=${LINKEM:-${BUILD:-build}/linkem}
	[[ $lem == /* ]] || lem=$TOPO__ROOT/$lem
	[ -x "$lem" ] || {
		topo__err "topo_linkem: no linkem at $lem (make; or set LINKEM)"
		return 1
	}
	nsa=$(topo_ns "$a") && nsb=$(topo_ns "$b") || return 1
	if [ "$a" = "$b" ]; then
		topo__err "topo_linkem: a host cannot link to itself"
		return 1
	fi
	n=$TOPO_NLINKS
	if [ "$n" -ge "$TOPO_MAX_LINKS" ]; then
		topo__err "topo_linkem: out of addresses ($TOPO_MAX_LINKS links)"
		return 1
	fi
	m=lem$n
	topo_host "$m" || return 1
	nsm=$(topo_ns "$m") || return 1
	ifa=${TOPO_IFTAG}l${n}a ifb=${TOPO_IFTAG}l${n}b
	ifm1=${TOPO_IFTAG}l${n}m ifm2=${TOPO_IFTAG}l${n}n
	ip -n "$nsa" link add "$ifa" address "$(topo__mac "$n" 1)" type veth \
		peer name "$ifm1" address "$(topo__mac "$n" 3)" netns "$nsm" &&
		ip -n "$nsb" link add "$ifb" address "$(topo__mac "$n" 2)" \
			type veth peer name "$ifm2" \
			address "$(topo__mac "$n" 4)" netns "$nsm" || return 1
	# Recorded as a link between A and B: lookups see one wire.
	TOPO_L_A[n]=$a TOPO_L_B[n]=$b TOPO_L_IFA[n]=$ifa TOPO_L_IFB[n]=$ifb
	TOPO_NLINKS=$((n + 1))
	# The middle host's ports carry no address and send nothing of
	# their own (no IPv6 link-local, router solicitations or MLD).
	for ifn in "$ifm1" "$ifm2"; do
		ip netns exec "$nsm" sysctl -qw \
			"net.ipv6.conf.$ifn.disable_ipv6=1" &&
			ip -n "$nsm" link set dev "$ifn" arp off \
				${mtu:+mtu "$mtu"} up || return 1
	done
	topo__link_up "$nsa" "$ifa" "$n" 1 "$mtu" &&
		topo__link_up "$nsb" "$ifb" "$n" 2 "$mtu" &&
		topo__no_tso "$nsa" "$ifa" && topo__no_tso "$nsb" "$ifb" ||
		return 1
	topo__wait_oper "$nsa" "$ifa" && topo__wait_oper "$nsb" "$ifb" &&
		topo__wait_oper "$nsm" "$ifm1" &&
		topo__wait_oper "$nsm" "$ifm2" || {
		topo__err "topo_linkem: link $n did not come up"
		return 1
	}
	sock=$TOPO_DIR/$m.sock
	topo_bg "$m" "$lem" -c "$sock" "$ifm1" "$ifm2" "$@" \
		>"$TOPO_DIR/$m.log" 2>&1
	TOPO_LEM_PID=$TOPO_BG_PID
	# linkem makes its control socket once it forwards.
	topo_wait 5 "$lem" ctl "$sock" show || {
		topo__err "topo_linkem: linkem did not start:"
		cat "$TOPO_DIR/$m.log" >&2
		return 1
	}
	TOPO_L_LEM[n]=$sock
	TOPO_LEM_BIN=$lem
	TOPO_LINK=$n TOPO_IF_A=$ifa TOPO_IF_B=$ifb TOPO_LEM_CTL=$sock
	export TOPO_LEM_CTL
}

topo_linkem_ctl() {
	local n=${1:-}
	topo__need_init || return 1
	shift
	if ! [[ $n =~ ^[0-9]+$ ]] || [ -z "${TOPO_L_LEM[$n]:-}" ]; then
		topo__err "topo_linkem_ctl: link '$n' has no linkem"
		return 1
	fi
	"$TOPO_LEM_BIN" ctl "${TOPO_L_LEM[$n]}" "$@"
}

topo_linkem_ports() {
	local n=${1:-}
	topo__need_init || return 1
	if ! [[ $n =~ ^[0-9]+$ ]] || [ -z "${TOPO_L_LEM[$n]:-}" ]; then
		topo__err "topo_linkem_ports: link '$n' has no linkem"
		return 1
	fi
	echo "${TOPO_IFTAG}l${n}m ${TOPO_IFTAG}l${n}n"
}

topo_ifname() {
	local host=${1:-} n
	topo_ns "$host" >/dev/null || return 1
	n=$(topo__link_of "$host" "${2:-}") || return 1
	if [ "$(topo__side "$host" "$n")" = 1 ]; then
		echo "${TOPO_L_IFA[$n]}"
	else
		echo "${TOPO_L_IFB[$n]}"
	fi
}

topo_addr() {
	local host=${1:-} fam=${3:-} n
	topo_ns "$host" >/dev/null || return 1
	case $fam in 4 | 6) ;; *)
		topo__err "topo_addr: family must be 4 or 6"
		return 1
		;;
	esac
	n=$(topo__link_of "$host" "${2:-}") || return 1
	topo__addr "$n" "$(topo__side "$host" "$n")" "$fam"
}

topo_cidr() {
	local a
	a=$(topo_addr "$@") || return 1
	if [ "$3" = 4 ]; then echo "$a/24"; else echo "$a/64"; fi
}

topo_mac() {
	local host=${1:-} n
	topo_ns "$host" >/dev/null || return 1
	n=$(topo__link_of "$host" "${2:-}") || return 1
	topo__mac "$n" "$(topo__side "$host" "$n")"
}

# Run by topo_exec and topo_bg inside the namespace ($0 is the host's bpffs
# directory): give the command the host's /sys/fs/bpf, then become it.
# shellcheck disable=SC2016
TOPO__EXEC_SH='
mountpoint -q /sys/fs/bpf ||
	mount --bind "$0" /sys/fs/bpf 2>/dev/null ||
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || :
exec "$@"'

topo_exec() {
	local ns host=${1:-}
	ns=$(topo_ns "$host") || return 1
	shift
	ip netns exec "$ns" sh -c "$TOPO__EXEC_SH" "$TOPO_DIR/$host.bpf" "$@"
}

topo_bg() {
	local ns host=${1:-}
	ns=$(topo_ns "$host") || return 1
	shift
	# Own process group, so cleanup can signal a whole pipeline or
	# script; anything that escapes it is still found by `ip netns pids`.
	setsid ip netns exec "$ns" sh -c "$TOPO__EXEC_SH" \
		"$TOPO_DIR/$host.bpf" "$@" &
	TOPO_BG_PID=$!
	TOPO_PIDS+=("$TOPO_BG_PID")
}

topo_wait() {
	local secs=${1:-5} i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

topo_wait_listen() {
	local ns
	ns=$(topo_ns "${1:-}") || return 1
	# shellcheck disable=SC2016
	topo_wait "${3:-5}" sh -c \
		'ip netns exec "$0" ss -Htln "sport = :$1" | grep -q .' \
		"$ns" "${2:?port}"
}

topo_tx_off() {
	local host=${1:-} ns n
	ns=$(topo_ns "$host") || return 1
	if [ -n "${2:-}" ]; then
		ip netns exec "$ns" ethtool -K "$2" tx off >/dev/null
		return
	fi
	for ((n = 0; n < TOPO_NLINKS; n++)); do
		if [ "${TOPO_L_A[$n]}" = "$host" ]; then
			ip netns exec "$ns" ethtool -K "${TOPO_L_IFA[$n]}" tx off \
				>/dev/null || return 1
		elif [ "${TOPO_L_B[$n]}" = "$host" ]; then
			ip netns exec "$ns" ethtool -K "${TOPO_L_IFB[$n]}" tx off \
				>/dev/null || return 1
		fi
	done
}

topo_forward() {
	local ns
	ns=$(topo_ns "${1:-}") || return 1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
}

# Is PREFIX inside 198.18.0.0/15 or 2001:db8::/32? Routes are the one way a
# test could aim packets elsewhere, so they are held to the test ranges.
topo__prefix_ok() {
	local p=$1 len=${1##*/}
	[[ $p == */* && $len =~ ^[0-9]+$ ]] || return 1
	if [[ $p =~ ^198\.(18|19)\.[0-9]+\.[0-9]+/ ]]; then
		[ "$len" -ge 15 ] && [ "$len" -le 32 ]
	elif [[ ${p,,} =~ ^2001:0?db8(:|::) ]]; then
		[ "$len" -ge 32 ] && [ "$len" -le 128 ]
	else
		return 1
	fi
}

topo_route() {
	local host=${1:-} prefix=${2:-} via=${3:-} ns n fam=4
	ns=$(topo_ns "$host") || return 1
	if ! topo__prefix_ok "$prefix"; then
		topo__err "topo_route: $prefix is outside the test ranges"
		return 1
	fi
	[[ $prefix == *:* ]] && fam=6
	n=$(topo__link_of "$host" "$via") || return 1
	ip -n "$ns" -"$fam" route add "$prefix" \
		via "$(topo__addr "$n" "$(topo__side "$via" "$n")" "$fam")"
}

topo_defer() {
	topo__need_init || return 1
	TOPO_DEFER+=("$*")
}

topo_cleanup() {
	local pid i
	[ -n "${TOPO_ID:-}" ] || return 0
	[ "${TOPO_CLEANED:-0}" = 0 ] || return 0
	TOPO_CLEANED=1
	for ((i = ${#TOPO_DEFER[@]} - 1; i >= 0; i--)); do
		eval "${TOPO_DEFER[$i]}" || :
	done
	for pid in "${TOPO_PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${TOPO_PIDS[@]}"; do
		# Reap it, and keep bash from reporting "Terminated".
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	topo__destroy_run "$TOPO_ID"
	return 0
}

topo__main() {
	set -u
	case ${1:-} in
	demo-up)
		TOPO_ID=xtdemo
		topo__destroy_run "$TOPO_ID"
		# Initialise by hand: demo-up must not install cleanup traps.
		TOPO_IFTAG=xtdemo TOPO_DIR=$TOPO_STATE_ROOT/$TOPO_ID TOPO_CLEANED=0
		declare -gA TOPO_HOSTS=()
		declare -ga TOPO_L_A=() TOPO_L_B=() TOPO_L_IFA=() TOPO_L_IFB=()
		declare -ga TOPO_L_LEM=() TOPO_PIDS=() TOPO_DEFER=()
		TOPO_NLINKS=0
		mkdir -p "$TOPO_DIR"
		topo_host a && topo_host b && topo_link a b || {
			topo__destroy_run "$TOPO_ID"
			exit 1
		}
		echo "hosts: $(topo_ns a) $(topo_ns b)"
		echo "a: $(topo_ifname a b) $(topo_cidr a b 4) $(topo_cidr a b 6)"
		echo "b: $(topo_ifname b a) $(topo_cidr b a 4) $(topo_cidr b a 6)"
		echo "run: ip netns exec $(topo_ns a) ping $(topo_addr b a 4)"
		;;
	demo-down)
		topo__destroy_run xtdemo
		;;
	reap)
		topo_reap
		;;
	list)
		topo__netns_list | grep -E '^xt' || :
		;;
	*)
		echo "usage: $0 demo-up | demo-down | reap | list" >&2
		echo "(or source it from a test: see the top of $0)" >&2
		exit 2
		;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	topo__main "$@"
fi
