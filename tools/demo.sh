#!/bin/bash
# demo.sh: install, build, and show vhost routing between two segments.
#
#   netns vhdemo-a            vhost (in netns vhdemo-h), --forward                netns vhdemo-b
#   192.0.2.1 --TAP vhdemo0-- tap0 192.0.2.2 | spi0 198.51.100.2 --TAP vhdemo1-- 198.51.100.1
#                                              (an ENC28J60 on a simulated SPI bus,
#                                               its wire on TAP vhdemo1)
#
# Linux in vhdemo-a pings vhost, then pings vhdemo-b through it; vhost's log
# shows the ARP and ICMP it handles. Everything is removed at the end.
set -eu
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
if [ ! -f build/build.ninja ]; then meson setup build >/dev/null; fi
ninja -C build >/dev/null
V=$PWD/build/tools/vhost
H=vhdemo-h A=vhdemo-a B=vhdemo-b
LOG=$(mktemp /tmp/vhost-demo.XXXX.log)
SOCK=${LOG%.log}.sock
C=$PWD/build/tools/vhctl
cleanup() {
  [ -n "${VP:-}" ] && kill "$VP" 2>/dev/null && wait "$VP" 2>/dev/null
  rm -f "$LOG" "$SOCK"
  for n in $H $A $B; do ip netns del $n 2>/dev/null || true; done
}
trap cleanup EXIT
for n in $H $A $B; do ip netns del $n 2>/dev/null || true; ip netns add $n; ip -n $n link set lo up; done

echo "+ vhost --iface tap0,ifname=vhdemo0,addr=192.0.2.2/24 --iface spi0,sim=tap:vhdemo1,addr=198.51.100.2/24 --forward -v --control $SOCK"
ip netns exec $H "$V" --iface tap0,ifname=vhdemo0,addr=192.0.2.2/24 \
  --iface spi0,sim=tap:vhdemo1,addr=198.51.100.2/24 --forward -v --control "$SOCK" >"$LOG" 2>&1 &
VP=$!
for _ in $(seq 50); do ip -n $H link show vhdemo1 >/dev/null 2>&1 && break; sleep 0.1; done
ip -n $H link set vhdemo0 netns $A; ip -n $A addr add 192.0.2.1/24 dev vhdemo0; ip -n $A link set vhdemo0 up
ip -n $H link set vhdemo1 netns $B; ip -n $B addr add 198.51.100.1/24 dev vhdemo1; ip -n $B link set vhdemo1 up
ip -n $A route add default via 192.0.2.2
ip -n $B route add default via 198.51.100.2

echo "+ (in vhdemo-a) ping -c 3 192.0.2.2        # vhost itself"
ip netns exec $A ping -c 3 -i 0.2 192.0.2.2
echo "+ (in vhdemo-a) ping -c 3 198.51.100.1     # through vhost and its ENC28J60 to the other segment"
ip netns exec $A ping -c 3 -i 0.2 198.51.100.1
echo "+ (in vhdemo-a) traceroute -n 198.51.100.1"
ip netns exec $A traceroute -n -q 1 -w 1 198.51.100.1 || true
sleep 0.2
echo
echo "vhost's log (ARP and ICMP at work):"
grep -E "registered|iface added|gratuitous|arp_input|resolved|learned|forwarding|echo request|enc28j60|link up" "$LOG" | head -20
echo
echo "+ vhctl route; vhctl neigh; vhctl link; vhctl stats icmp"
"$C" -s "$SOCK" route
"$C" -s "$SOCK" neigh
"$C" -s "$SOCK" link
"$C" -s "$SOCK" stats icmp | grep -vE ' 0$'
echo
echo "demo done: vhost answered ping and forwarded between 192.0.2.0/24 (TAP) and 198.51.100.0/24 (ENC28J60)"
