#!/usr/bin/env bash
# Install every Debian package that xtcp's build, tests, demo and benchmarks need.
# Idempotent: installs only what is missing, and runs `apt-get update` only then.
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm lld libclang-rt-14-dev pkg-config
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	bpftool xdp-tools
	libcmocka-dev libinih-dev libmnl-dev libssl-dev libjansson-dev
	clang-format
	# namespaces, tests, benchmarks
	iproute2 ethtool iputils-ping netcat-openbsd iptables
	iperf3 sockperf tcpdump tshark gnuplot-nox
	procps psmisc util-linux coreutils
	# unmodified programs under xtcp-run (tests/ns/test_fork.sh)
	nginx
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "${1:-}" = "-q" ] || echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# Packages with a service (nginx) must not start it: tests run their own
# instance in a namespace. policy-rc.d answering 101 stops invoke-rc.d;
# ours only for the install, an existing one is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# xtcp install-deps: no service starts\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
