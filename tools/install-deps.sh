#!/bin/bash
# install-deps.sh: the Debian 12 packages vhost needs to build and to test
# against real peers. Runs apt-get only when something is missing.
set -eu
PKGS=(
  # build
  meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev libpcap-dev liblwip-dev
  # test peers and tools
  iproute2 iputils-ping arping traceroute iputils-tracepath iperf3 curl wget socat
  netcat-openbsd tshark tcpdump ethtool jq python3 python3-scapy hping3 nmap wrk
  apache2-utils procps psmisc
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi
