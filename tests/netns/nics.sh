#!/bin/bash
# nics.sh: vhost on Linux interfaces through a raw PF_PACKET socket and
# through libpcap, routing between the two.
#
#   netns <id>a                 netns <id>h (vhost --forward)                  netns <id>b
#   192.0.2.1  <id>a0 ==veth== <id>h0   type=packet  192.0.2.2
#                                       type=pcap    198.51.100.2  <id>h1 ==veth== <id>b0  198.51.100.1
TAG=ni
. "$(dirname "$0")/lib.sh"
need ping ethtool

H=${ID}h A=${ID}a B=${ID}b
ns "$H"; ns "$A"; ns "$B"
ip -n "$A" link add "${ID}a0" type veth peer name "${ID}h0" netns "$H"
ip -n "$B" link add "${ID}b0" type veth peer name "${ID}h1" netns "$H"
for l in "$A ${ID}a0" "$B ${ID}b0" "$H ${ID}h0" "$H ${ID}h1"; do
	set -- $l
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
done
ip -n "$A" addr add 192.0.2.1/24 dev "${ID}a0"
ip -n "$B" addr add 198.51.100.1/24 dev "${ID}b0"
ip -n "$A" route add default via 192.0.2.2
ip -n "$B" route add default via 198.51.100.2
start_vhost "$H" vhost -- --iface "${ID}h0,type=packet,addr=192.0.2.2/24" \
	--iface "${ID}h1,type=pcap,addr=198.51.100.2/24" --forward --control none
check "PF_PACKET NIC answers ping" ip netns exec "$A" ping -c 20 -i 0.05 -W 1 -q 192.0.2.2
check "libpcap NIC answers ping" ip netns exec "$B" ping -c 20 -i 0.05 -W 1 -q 198.51.100.2
check "forwarding between a PF_PACKET and a libpcap NIC" \
	ip netns exec "$A" ping -c 20 -i 0.05 -W 1 -q 198.51.100.1
out=$(ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -s 3000 -q 198.51.100.1 2>&1)
check "fragmented pings across both" grep -q " 3 received" <<<"$out"
