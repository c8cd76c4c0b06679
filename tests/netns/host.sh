#!/bin/bash
# host.sh: vhost as a host on one TAP, against Linux's own tools.
#
#   netns <id>a                          netns <id>h
#   +-------------------+   TAP <id>t0   +-----------------------+
#   | Linux 192.0.2.1   |----------------| vhost 192.0.2.2/24    |
#   | ping, arping      |                |                       |
#   +-------------------+                +-----------------------+
#
#   netns <id>c  192.0.2.11 --- TAP <id>t1 ---+  twostacks: stack A 192.0.2.12
#   netns <id>d  192.0.2.11 --- TAP <id>t2 ---+             stack B 192.0.2.13
#   (one process, two stacks: each answers only for itself)
TAG=ho
. "$(dirname "$0")/lib.sh"
need ping arping ethtool ip hping3
TWOSTACKS=${TWOSTACKS:-$(dirname "$VHOST")/../tests/netns/twostacks}

H=${ID}h A=${ID}a T=${ID}t0
ns "$H"; ns "$A"
start_vhost "$H" vhost "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24" --control none -v
plug "$H" "$T" "$A" 192.0.2.1/24

out=$(ip netns exec "$A" ping -c 1000 -i 0.01 -W 1 -q 192.0.2.2 2>&1)
check "ping 1000 at 10 ms, 0 lost" grep -q " 1000 received, 0% packet loss" <<<"$out"
log "$(tail -n 1 <<<"$out")"

out=$(ip netns exec "$A" ping -c 5 -i 0.2 -W 2 -s 3000 192.0.2.2 2>&1)
check "ping -s 3000: fragmented both ways, 0 lost" grep -q " 5 received, 0% packet loss" <<<"$out"
check "ping -s 3000: replies carry all 3008 bytes" grep -q "^3008 bytes from 192.0.2.2" <<<"$out"
out=$(ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -s 65000 192.0.2.2 2>&1)
check "ping -s 65000: 45 fragments each way, 0 lost" grep -q " 3 received, 0% packet loss" <<<"$out"

out=$(ip netns exec "$A" timeout 30 ping -f -c 20000 -W 1 192.0.2.2 2>&1)
rx=$(grep -oE '[0-9]+ received' <<<"$out" | cut -d' ' -f1)
log "ping -f: $(grep -E 'transmitted|rtt' <<<"$out" | tr '\n' ' ')"
check "ping -f 20000: at least 99.9% answered (${rx:-0})" test "${rx:-0}" -ge 19980

out=$(ip netns exec "$A" arping -c 3 -w 5 -I "$T" 192.0.2.2 2>&1)
check "arping: 3 replies" grep -qE "3 packets received|Received 3 response" <<<"$out"
out=$(ip netns exec "$A" arping -c 2 -w 3 -I "$T" 192.0.2.77 2>&1)
check "arping for an address vhost does not own: no reply" \
	grep -qE "0 packets received|Received 0 response" <<<"$out"

check "log shows ARP and ICMP at work" \
	bash -c "grep -q 'arp_input: request from 192.0.2.1' '$RUN/vhost.log' && grep -q 'gratuitous ARP' '$RUN/vhost.log'"

# Unknown protocol: ICMP protocol unreachable (RFC 1122 3.2.2.1).
out=$(ip netns exec "$A" timeout 5 hping3 -0 -H 200 -c 1 192.0.2.2 2>&1)
check "unknown protocol answered with protocol unreachable" grep -qi "protocol unreachable" <<<"$out"

# Clean exit on SIGTERM: status 0, the TAP goes away with the process.
kill -TERM "$VHPID"
wait "$VHPID"
check "SIGTERM: vhost exits 0" test $? -eq 0
check "SIGTERM: devices closed" grep -q "closed, dev=$T" "$RUN/vhost.log"
check "SIGTERM: TAP removed" bash -c "! ip -n '$A' link show '$T' >/dev/null 2>&1"

# Two stacks in one process, each on its own TAP.
C=${ID}c D=${ID}d T1=${ID}t1 T2=${ID}t2
ns "$C"; ns "$D"
bg "$H" twostacks "$TWOSTACKS" "$T1,type=tap,addr=192.0.2.12/24" "$T2,type=tap,addr=192.0.2.13/24"
wait_link "$H" "$T1" 5 && wait_link "$H" "$T2" 5 || { fail "twostacks did not create its TAPs"; exit 1; }
plug "$H" "$T1" "$C" 192.0.2.11/24
plug "$H" "$T2" "$D" 192.0.2.11/24
check "stack A answers on its TAP" ip netns exec "$C" ping -c 3 -i 0.1 -W 1 -q 192.0.2.12
check "stack B answers on its TAP" ip netns exec "$D" ping -c 3 -i 0.1 -W 1 -q 192.0.2.13
check "stack A does not answer for B's address" bash -c "! ip netns exec '$C' ping -c 2 -i 0.2 -W 1 -q 192.0.2.13"
check "stack B does not answer for A's address" bash -c "! ip netns exec '$D' ping -c 2 -i 0.2 -W 1 -q 192.0.2.12"
