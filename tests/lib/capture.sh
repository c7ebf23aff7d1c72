# shellcheck shell=bash
# capture.sh: packet-capture grading for the namespace tests. Source it
# after tests/lib.sh and tools/topo.sh, and after topo_init:
#
#   capture_init                      a directory for the captures, removed
#                                     at cleanup; sets CAPTURE_DIR
#   capture_linkem A B [--mtu N] [LINKEM ARGS...]
#                                     topo_linkem with linkem's event log
#                                     (--event-log) in CAPTURE_DIR
#   capture_start [--rx-only] HOST IFACE NAME [PCAP FILTER...]
#                                     tcpdump on IFACE in HOST into NAME.pcap,
#                                     returns once it is capturing;
#                                     --rx-only: only what IFACE receives
#   capture_stop NAME                 stop it; tcpdump's counts in NAME.log
#   capture_grade NAME [--lem LINK [--events-only] [--ingress NAME]...]
#                 [--from MAC] [--min-retrans N] [--expect FILTER]...
#                 [--show N]
#                                     stop it if running, then grade it with
#                                     tests/lib/capture_grade.py (read its
#                                     header for the rules): prints one
#                                     summary line (and the offending frames
#                                     on failure), returns 0 on a pass. With
#                                     --lem, retransmissions are explained by
#                                     link LINK's linkem event log; without,
#                                     none is allowed. --expect: at least one
#                                     frame matches the tshark display
#                                     filter. --events-only: only check that
#                                     the log's events of frames sent from
#                                     the interface are in the capture;
#                                     --from MAC: frames from MAC are the
#                                     ones sent from here (a --rx-only
#                                     capture of what enters linkem);
#                                     --ingress NAME: capture NAME (taken
#                                     --rx-only on a linkem port) shows the
#                                     order frames entered linkem in, so
#                                     frames overtaken on the way there
#                                     explain the retransmissions they
#                                     cause
#
# The capture is taken on the Linux host's side: xtcp's own frames are not
# visible to tcpdump on its host (XDP takes received frames before the
# packet taps, and AF_XDP and linkem transmit with dev_direct_xmit, which
# bypasses them), and in linkem's middle host tcpdump sees only what enters
# linkem. Frames the host sends are captured before the veth, so their
# checksums must be complete: capture_start refuses an interface with tx
# checksum offload on (topo_tx_off HOST).
#
# Every function works inside check's subshell: the state is in files,
# CAPTURE_DIR/NAME.{pcap,log,pid,mac,mtu}. A passing capture's pcap is
# deleted at once (they are large); CAPTURE_KEEP=DIR copies a failing one's
# files to DIR (CAPTURE_KEEP_ALL=1 keeps every pcap in CAPTURE_DIR until
# cleanup). CAPTURE_MAX_PACKETS (default 400000) bounds each capture;
# a capture that reaches it fails its grade.

CAPTURE_GRADER=${CAPTURE_GRADER:-$XTCP_ROOT/tests/lib/capture_grade.py}
CAPTURE_MAX_PACKETS=${CAPTURE_MAX_PACKETS:-400000}

capture__err() {
	echo "capture: $*" >&2
}

# Call in the test's own shell (not in $(...) or check): it sets CAPTURE_DIR.
capture_init() {
	local t
	for t in tcpdump tshark python3; do
		command -v "$t" >/dev/null || {
			capture__err "$t not found (tools/install-deps.sh)"
			return 1
		}
	done
	CAPTURE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xtcp-cap.XXXXXX") || return 1
	topo_defer "rm -rf '$CAPTURE_DIR'"
}

capture_linkem() { # A B [--mtu N] [LINKEM ARGS...]
	local a=$1 b=$2 n=$TOPO_NLINKS mtu=()
	shift 2
	if [ "${1:-}" = --mtu ]; then
		mtu=(--mtu "$2")
		shift 2
	fi
	topo_linkem "$a" "$b" "${mtu[@]}" \
		--event-log "$CAPTURE_DIR/lem$n.events" "$@"
}

capture_start() { # [--rx-only] HOST IFACE NAME [FILTER...]
	local host ifn name f pid dir=()
	if [ "${1:-}" = --rx-only ]; then
		dir=(-Q in)
		shift
	fi
	host=$1 ifn=$2 name=$3
	shift 3
	f=$CAPTURE_DIR/$name
	[ -n "${CAPTURE_DIR:-}" ] || {
		capture__err "capture_init first"
		return 1
	}
	# Frames sent from here are captured before any offload completes
	# them: partial checksums would look bad.
	if [ ${#dir[@]} -eq 0 ] && ! topo_exec "$host" ethtool -k "$ifn" |
		grep -q '^tx-checksumming: off'; then
		capture__err "$host/$ifn: tx checksum offload is on (topo_tx_off $host)"
		return 1
	fi
	topo_exec "$host" cat "/sys/class/net/$ifn/address" >"$f.mac" &&
		topo_exec "$host" cat "/sys/class/net/$ifn/mtu" >"$f.mtu" ||
		return 1
	rm -f "$f.pcap" "$f.log"
	# -s: whole frames of the MTU (and a VLAN tag), checksums need them;
	# a larger snap length would make each ring slot that large.
	# --immediate-mode: each packet is handed over as it comes, none
	# waits in a ring block at the stop; -B: 64 MB of ring for bursts;
	# -Z root: write where root can; -c: bounded.
	topo_bg "$host" tcpdump -n -i "$ifn" "${dir[@]}" \
		-s "$(($(cat "$f.mtu") + 22))" --immediate-mode -B 65536 \
		-Z root -c "$CAPTURE_MAX_PACKETS" -w "$f.pcap" "$@" \
		>"$f.log" 2>&1
	pid=$TOPO_BG_PID
	echo "$pid" >"$f.pid"
	# "listening on" comes after the socket is bound and filtering.
	if ! topo_wait 10 grep -q '^tcpdump: listening on' "$f.log" ||
		! kill -0 "$pid" 2>/dev/null; then
		capture__err "tcpdump did not start: $(cat "$f.log")"
		return 1
	fi
}

capture_stop() { # NAME
	local f=$CAPTURE_DIR/$1 pid
	[ -f "$f.pid" ] || return 0
	pid=$(cat "$f.pid")
	if grep -q 'packets captured$' "$f.log" 2>/dev/null; then
		# It stopped by itself: it reached CAPTURE_MAX_PACKETS.
		rm -f "$f.pid"
		echo "capture: $1 reached $CAPTURE_MAX_PACKETS packets" >>"$f.log"
		return 0
	fi
	kill -INT "$pid" 2>/dev/null
	# Its counts are its last words (the process may stay a zombie of
	# the test's shell).
	topo_wait 10 grep -q 'packets dropped by kernel' "$f.log" || {
		capture__err "tcpdump $1 did not stop"
		kill -KILL "$pid" 2>/dev/null
	}
	rm -f "$f.pid"
}

capture_grade() { # NAME [OPTIONS...]
	local name=$1 f=$CAPTURE_DIR/$1 args=() reply missed rc mac
	shift
	mac=$(cat "$f.mac")
	while [ $# -gt 0 ]; do
		case $1 in
		--lem)
			reply=$(topo_linkem_ctl "$2" flush) || return 1
			missed=${reply#*missed=}
			missed=${missed%% *}
			args+=(--lem-log "$CAPTURE_DIR/lem$2.events"
				--lem-missed "$missed")
			shift 2
			;;
		--min-retrans | --show | --expect)
			args+=("$1" "$2")
			shift 2
			;;
		--events-only)
			args+=("$1")
			shift
			;;
		--from)
			mac=$2
			shift 2
			;;
		--ingress)
			capture_stop "$2"
			args+=(--ingress "$CAPTURE_DIR/$2.pcap")
			shift 2
			;;
		*)
			capture__err "capture_grade: unknown option $1"
			return 1
			;;
		esac
	done
	capture_stop "$name"
	if grep -q "reached $CAPTURE_MAX_PACKETS packets" "$f.log"; then
		echo "capture $name: stopped at $CAPTURE_MAX_PACKETS packets," \
			"incomplete FAIL"
		rc=1
	else
		python3 "$CAPTURE_GRADER" "$f.pcap" --name "$name" \
			--local-mac "$mac" --mtu "$(cat "$f.mtu")" \
			--tcpdump-log "$f.log" "${args[@]}"
		rc=$?
	fi
	if [ "$rc" -ne 0 ] && [ -n "${CAPTURE_KEEP:-}" ]; then
		mkdir -p "$CAPTURE_KEEP" &&
			cp "$f".* "$CAPTURE_DIR"/lem*.events "$CAPTURE_KEEP"/ \
				2>/dev/null
	fi
	[ "$rc" -eq 0 ] && [ -z "${CAPTURE_KEEP_ALL:-}" ] && rm -f "$f.pcap"
	return "$rc"
}
