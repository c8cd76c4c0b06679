#!/bin/bash
# tcp-bench.sh: TCP throughput and connection rate, side by side, for vhost,
# a minimal host on Debian's lwIP (lwip-host.c) and the Linux kernel. Prints
# figures and ratios; asserts nothing about speed.
#
#   netns <id>a 192.0.2.1 ---- TAP <id>t0 ---- netns <id>h: vhost 192.0.2.2
#                                                discard 9, chargen 19
#   netns <id>b 198.51.100.1 - TAP <id>t1 ---- netns <id>l: lwip-host 198.51.100.2
#                                                discard 9, source 19
#   netns <id>c 203.0.113.1 -- veth <id>v0/v1 - netns <id>k: Linux 203.0.113.2
#                                                connrate server 9, socat /dev/zero 19
#
# vhost and lwIP each own a TAP and do their TCP in user space; the kernel
# terminates the same transfers over a veth pair (it cannot sit behind a TAP
# without a user-space pump, which would measure the pump). All three links
# have offloads off, so every side segments and checksums in software.
#
# Env: VHOST, LWIP_HOST, CONNRATE (paths); BENCH_MB (default 300); BENCH_SECS
# (connection test length, default 3).
TAG=bn
. "$(dirname "$0")/../netns/lib.sh"
need nc socat head timeout ethtool
LWIP_HOST=${LWIP_HOST:-$(dirname "$VHOST")/../tests/bench/lwip-host}
CONNRATE=${CONNRATE:-$(dirname "$VHOST")/../tests/bench/connrate}
for p in "$LWIP_HOST" "$CONNRATE"; do [[ -x $p ]] || { fail "$p not built"; exit 1; }; done
MB=${BENCH_MB:-300}
SECS=${BENCH_SECS:-3}

H=${ID}h A=${ID}a T0=${ID}t0
L=${ID}l B=${ID}b T1=${ID}t1
K=${ID}k C=${ID}c
ns "$H"; ns "$A"; ns "$L"; ns "$B"; ns "$K"; ns "$C"
start_vhost "$H" vhost "$T0" -- --iface "$T0,type=tap,addr=192.0.2.2/24" --control none \
	--service discard --service chargen
plug "$H" "$T0" "$A" 192.0.2.1/24
bg "$L" lwip "$LWIP_HOST" "$T1" 198.51.100.2
wait_link "$L" "$T1" 5 || { fail "lwip-host did not create its TAP"; exit 1; }
plug "$L" "$T1" "$B" 198.51.100.1/24
ip link add "${ID}v0" netns "$C" type veth peer name "${ID}v1" netns "$K"
ip -n "$C" addr add 203.0.113.1/24 dev "${ID}v0"; ip -n "$C" link set "${ID}v0" up
ip -n "$K" addr add 203.0.113.2/24 dev "${ID}v1"; ip -n "$K" link set "${ID}v1" up
for x in "$C ${ID}v0" "$K ${ID}v1"; do
	set -- $x
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
done
bg "$K" kdiscard "$CONNRATE" server 9
bg "$K" ksource socat TCP-LISTEN:19,fork,reuseaddr OPEN:/dev/zero
sleep 1

now_ns() { date +%s%N; }
# recv NS ADDR: MB/s of MB megabytes into port 9
recv_rate() {
	local t0 t1
	t0=$(now_ns)
	head -c ${MB}000000 /dev/zero | ip netns exec "$1" timeout 120 nc -N "$2" 9 || echo "(nc failed)" >&2
	t1=$(now_ns)
	awkf "$MB / (($t1 - $t0) / 1e9)"
}
# send NS ADDR: MB/s of MB megabytes out of port 19
send_rate() {
	local t0 t1 n
	t0=$(now_ns)
	n=$(ip netns exec "$1" timeout 120 nc "$2" 19 | head -c ${MB}000000 | wc -c)
	t1=$(now_ns)
	[[ $n == "${MB}000000" ]] || echo "(short read: $n)" >&2
	awkf "$MB / (($t1 - $t0) / 1e9)"
}
conn_rate() {
	ip netns exec "$1" "$CONNRATE" client "$2" 9 "$SECS" 4 | awk '{print $1}'
}

declare -A R
for who in vhost lwip kernel; do
	case $who in
	vhost) n=$A a=192.0.2.2 ;;
	lwip) n=$B a=198.51.100.2 ;;
	kernel) n=$C a=203.0.113.2 ;;
	esac
	ip netns exec "$n" ping -c 1 -W 2 "$a" >/dev/null 2>&1
	R[$who.recv]=$(recv_rate "$n" "$a")
	R[$who.send]=$(send_rate "$n" "$a")
	R[$who.conn]=$(conn_rate "$n" "$a")
	log "$who: receive ${R[$who.recv]} MB/s, send ${R[$who.send]} MB/s, ${R[$who.conn]} conn/s"
done

printf '\n%-28s %12s %12s %12s %10s %10s\n' "TCP, $MB MB, no offloads" vhost lwIP kernel vh/lwIP vh/kernel
for m in recv send conn; do
	case $m in recv) d="receive into discard, MB/s" ;; send) d="send from chargen, MB/s" ;;
	conn) d="connections/s (4 clients)" ;; esac
	printf '%-28s %12.1f %12.1f %12.1f %10.2f %10.2f\n' "$d" "${R[vhost.$m]}" "${R[lwip.$m]}" \
		"${R[kernel.$m]}" "$(awkf "${R[vhost.$m]} / ${R[lwip.$m]}")" \
		"$(awkf "${R[vhost.$m]} / ${R[kernel.$m]}")"
done
pass "figures printed (not a timed test)"
