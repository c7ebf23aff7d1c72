# Shared by the script tests (tests/sim, tests/ns). Source it.
# A check prints exactly one of:
#   PASS name
#   FAIL name: detail
#   SKIP name: why   (only when the kernel or machine lacks a feature)
# tests/run.sh counts those lines.

XTCP_ROOT=${XTCP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$XTCP_ROOT/$BUILD ;; esac

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
skip() { echo "SKIP $1: $2"; }

# check NAME CMD...: PASS if CMD exits 0, FAIL with its output otherwise.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}

# require_netns NAME: namespace tests need root and network namespaces.
# Without them, print "SKIP NAME: why" and exit the test script with 0.
require_netns() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "$1" "needs root"
		exit 0
	fi
	if ! ip netns add "xtprobe$$" 2>/dev/null; then
		skip "$1" "network namespaces unsupported"
		exit 0
	fi
	ip netns del "xtprobe$$"
}

# Under SAN=1 builds, stdbuf's LD_PRELOAD would precede the ASan runtime;
# let such programs start anyway.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
