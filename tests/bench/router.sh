#!/bin/bash
# router.sh (bench): IPv4 forwarding throughput and latency through vhost,
# side by side in one run with the Linux kernel as a router and with the
# trivial TAP frame copier. Prints figures and ratios; asserts nothing.
#
#   vhost:   A 192.0.2.1 --TAP-- [vhost --forward] --TAP-- B 198.51.100.1
#   kernel:  A 192.0.2.1 --veth-- [netns, ip_forward=1] --veth-- B 198.51.100.1
#   copier:  A 192.0.2.1 --TAP-- [tapcopy]  --TAP-- B 192.0.2.3  (one segment)
#
# Usage: [ROUNDS=3] tests/bench/router.sh [SECONDS per iperf3 run, default 5]
TAG=rb
. "$(dirname "$0")/../netns/lib.sh"
need iperf3 jq ping
SECS=${1:-5}
TAPCOPY=${TAPCOPY:-$(dirname "$VHOST")/../tests/bench/tapcopy}
[[ -x $TAPCOPY ]] || { fail "tapcopy not built at $TAPCOPY"; exit 1; }

ROUNDS=${ROUNDS:-3}

# start_server NS DST: an iperf3 server for one topology
start_server() {
	bg "$1" "iperf-$1" iperf3 -s -B "$2" -p 5399
	for _ in $(seq 50); do ip netns exec "$1" ss -tln | grep -q ':5399 ' && break; sleep 0.1; done
	ip netns exec "$1" true
}
# measure NS_A DST -> "Mbit/s rtt_ms"
measure() {
	local a=$1 dst=$2 bps rtt
	ip netns exec "$a" ping -c 3 -W 1 -q "$dst" >/dev/null
	rtt=$(ip netns exec "$a" ping -c 200 -i 0.005 -W 1 -q "$dst" | awk -F/ '/^rtt/ {print $5}')
	bps=$(ip netns exec "$a" timeout $((SECS + 15)) iperf3 -c "$dst" -p 5399 -t "$SECS" -J |
		jq -r '.end.sum_received.bits_per_second // 0')
	echo "$(awkf "${bps:-0} / 1e6") ${rtt:-0}"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# vhost
H=${ID}h A=${ID}a B=${ID}b
ns "$H"; ns "$A"; ns "$B"
start_vhost "$H" vhost "${ID}t0" "${ID}t1" -- --iface "${ID}t0,type=tap,addr=192.0.2.2/24" \
	--iface "${ID}t1,type=tap,addr=198.51.100.2/24" --forward --control none
plug "$H" "${ID}t0" "$A" 192.0.2.1/24
plug "$H" "${ID}t1" "$B" 198.51.100.1/24
ip -n "$A" route add default via 192.0.2.2
ip -n "$B" route add default via 198.51.100.2
start_server "$B" 198.51.100.1

# kernel router over veth (offloads left on: what the kernel really does)
K=${ID}k KA=${ID}ka KB=${ID}kb
ns "$K"; ns "$KA"; ns "$KB"
ip -n "$KA" link add "${ID}x0" type veth peer name "${ID}x1" netns "$K"
ip -n "$KB" link add "${ID}y0" type veth peer name "${ID}y1" netns "$K"
ip -n "$KA" addr add 192.0.2.1/24 dev "${ID}x0"; ip -n "$KA" link set "${ID}x0" up
ip -n "$K" addr add 192.0.2.2/24 dev "${ID}x1"; ip -n "$K" link set "${ID}x1" up
ip -n "$KB" addr add 198.51.100.1/24 dev "${ID}y0"; ip -n "$KB" link set "${ID}y0" up
ip -n "$K" addr add 198.51.100.2/24 dev "${ID}y1"; ip -n "$K" link set "${ID}y1" up
ip netns exec "$K" sysctl -qw net.ipv4.ip_forward=1
ip -n "$KA" route add default via 192.0.2.2
ip -n "$KB" route add default via 198.51.100.2
start_server "$KB" 198.51.100.1

# trivial copier between two TAPs
C=${ID}c CA=${ID}ca CB=${ID}cb
ns "$C"; ns "$CA"; ns "$CB"
bg "$C" tapcopy "$TAPCOPY" "${ID}c0" "${ID}c1"
wait_link "$C" "${ID}c1" 5 || { fail "tapcopy did not start"; exit 1; }
plug "$C" "${ID}c0" "$CA" 192.0.2.1/24
plug "$C" "${ID}c1" "$CB" 192.0.2.3/24
start_server "$CB" 192.0.2.3

# Alternate the three, round after round, so a drift of the machine's speed
# touches all of them; quote medians.
for ((r = 1; r <= ROUNDS; r++)); do
	measure "$A" 198.51.100.1 >>"$RUN/vhost.fig"
	measure "$KA" 198.51.100.1 >>"$RUN/kernel.fig"
	measure "$CA" 192.0.2.3 >>"$RUN/copier.fig"
	log "round $r: vhost $(tail -n1 "$RUN/vhost.fig"), kernel $(tail -n1 "$RUN/kernel.fig"), copier $(tail -n1 "$RUN/copier.fig")"
done
for k in vhost kernel copier; do
	eval "${k}_mbps=\$(cut -d' ' -f1 <\"\$RUN/$k.fig\" | median)"
	eval "${k}_rtt=\$(cut -d' ' -f2 <\"\$RUN/$k.fig\" | median)"
done

printf '\n%-32s %12s %12s\n' "IPv4 forwarding (median of $ROUNDS)" "TCP Mbit/s" "RTT ms"
printf '%-32s %12s %12s\n' "vhost --forward (TAP)" "$vhost_mbps" "$vhost_rtt"
printf '%-32s %12s %12s\n' "Linux kernel router (veth)" "$kernel_mbps" "$kernel_rtt"
printf '%-32s %12s %12s\n' "trivial TAP copier" "$copier_mbps" "$copier_rtt"
printf '%-32s %12.3f %12.3f\n' "vhost / kernel" "$(awkf "$vhost_mbps / ($kernel_mbps + 1e-9)")" "$(awkf "$vhost_rtt / ($kernel_rtt + 1e-9)")"
printf '%-32s %12.3f %12.3f\n' "vhost / copier" "$(awkf "$vhost_mbps / ($copier_mbps + 1e-9)")" "$(awkf "$vhost_rtt / ($copier_rtt + 1e-9)")"
pass "benchmark ran"
