#!/bin/bash
# router.sh: vhost forwarding between two segments, against Linux peers.
#
#   netns <id>a                  netns <id>h (vhost --forward)              netns <id>b
#   +-----------------+  <id>t0  +------------------------------+  <id>t1  +--------------------+
#   | 192.0.2.1       |----------| 192.0.2.2      198.51.100.2  |----------| 198.51.100.1       |
#   | default via .2  |          |   route 203.0.113.0/24       |  MTU     | 203.0.113.1 (on lo)|
#   | ping traceroute |          |     via 198.51.100.1         |  1400    | default via .2     |
#   | tracepath curl  |          +------------------------------+          | http, iperf3 -s    |
#   +-----------------+                                                    +--------------------+
TAG=ro
. "$(dirname "$0")/lib.sh"
need ping traceroute tracepath curl iperf3 sha256sum jq ethtool
VHCTL=${VHCTL:-$(dirname "$VHOST")/vhctl}
ctl() { "$VHCTL" -s "$RUN/ctl.sock" "$@"; }
PY=/usr/bin/python3
[[ -x $PY ]] || { fail "required program /usr/bin/python3 is not installed"; exit 1; }

H=${ID}h A=${ID}a B=${ID}b TA=${ID}t0 TB=${ID}t1
ns "$H"; ns "$A"; ns "$B"
start_vhost "$H" vhost "$TA" "$TB" -- \
	--iface "$TA,type=tap,addr=192.0.2.2/24" \
	--iface "$TB,type=tap,addr=198.51.100.2/24,mtu=1400" \
	--route 203.0.113.0/24,via=198.51.100.1 --forward --control "$RUN/ctl.sock"
plug "$H" "$TA" "$A" 192.0.2.1/24
plug "$H" "$TB" "$B" 198.51.100.1/24 1400
ip -n "$A" route add default via 192.0.2.2
ip -n "$B" route add default via 198.51.100.2
ip -n "$B" addr add 203.0.113.1/32 dev lo   # this kernel has no dummy links

# Both directions at once: 1000 each at 10 ms.
ip netns exec "$A" ping -c 1000 -i 0.01 -W 1 -q 198.51.100.1 >"$RUN/ab.log" 2>&1 &
pab=$!
ip netns exec "$B" ping -c 1000 -i 0.01 -W 1 -q 192.0.2.1 >"$RUN/ba.log" 2>&1
wait $pab
check "ping A->B 1000, 0 lost" grep -q " 1000 received, 0% packet loss" "$RUN/ab.log"
check "ping B->A 1000, 0 lost" grep -q " 1000 received, 0% packet loss" "$RUN/ba.log"
check "static route: A reaches 203.0.113.1 behind B" \
	ip netns exec "$A" ping -c 3 -i 0.1 -W 1 -q 203.0.113.1

# Routes changed at run time take effect at once.
ctl route del 203.0.113.0/24 >"$RUN/ctl.log" 2>&1
out=$(ip netns exec "$A" ping -c 1 -W 2 203.0.113.1 2>&1)
check "vhctl route del: 203.0.113.1 at once net unreachable" grep -q "Destination Net Unreachable" <<<"$out"
ctl route add 203.0.113.0/24 via 198.51.100.1 >>"$RUN/ctl.log" 2>&1
check "vhctl route add: 203.0.113.1 reachable again at once" \
	ip netns exec "$A" ping -c 1 -W 2 -q 203.0.113.1
out=$(ctl route)
check "vhctl route shows the static route" grep -qE '^203\.0\.113\.0/24 +198\.51\.100\.1 ' <<<"$out"

out=$(ip netns exec "$A" traceroute -n -q 1 -w 1 -m 5 198.51.100.1 2>&1)
log "$out"
check "traceroute shows vhost as hop 1" grep -qE "^ 1  192\.0\.2\.2 " <<<"$out"
check "traceroute reaches B at hop 2" grep -qE "^ 2  198\.51\.100\.1 " <<<"$out"

out=$(ip netns exec "$A" ping -c 1 -W 2 -M do -s 1450 198.51.100.1 2>&1)
check "DF over the smaller MTU gets fragmentation needed from vhost (mtu = 1400)" \
	grep -qE "From 192\.0\.2\.2 .*Frag needed and DF set \(mtu = 1400\)" <<<"$out"
ip -n "$A" route flush cache
out=$(ip netns exec "$A" tracepath -n 198.51.100.1 2>&1)
log "$(tail -n 2 <<<"$out")"
check "tracepath finds the 1400-byte MTU of segment B" grep -q "pmtu 1400" <<<"$out"

out=$(ip netns exec "$A" ping -c 1 -t 1 -W 2 198.51.100.1 2>&1)
check "TTL=1 gets time exceeded from vhost" grep -qE "From 192\.0\.2\.2 .*Time to live exceeded" <<<"$out"
out=$(ip netns exec "$A" ping -c 1 -W 2 198.18.0.1 2>&1)
check "unroutable address gets net unreachable" grep -qE "From 192\.0\.2\.2 .*Destination Net Unreachable" <<<"$out"
out=$(ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -M dont -s 3000 198.51.100.1 2>&1)
check "large pings without DF are fragmented to the 1400 MTU and answered" grep -q " 3 received" <<<"$out"

# HTTP across the router: the file arrives intact.
mkdir -p "$RUN/www"
head -c 20000000 /dev/urandom >"$RUN/www/blob"
bg "$B" http "$PY" -m http.server 8080 --bind 198.51.100.1 --directory "$RUN/www"
for _ in $(seq 50); do ip netns exec "$B" ss -tln | grep -q ':8080 ' && break; sleep 0.1; done
ip netns exec "$A" curl -sS --max-time 60 -o "$RUN/got" http://198.51.100.1:8080/blob 2>"$RUN/curl.log"
check "curl through vhost: 20 MB, sha256 identical" \
	test "$(sha256sum <"$RUN/www/blob")" = "$(sha256sum <"$RUN/got" 2>/dev/null)"

bg "$B" iperf3s iperf3 -s -B 198.51.100.1 -p 5301
for _ in $(seq 50); do ip netns exec "$B" ss -tln | grep -q ':5301 ' && break; sleep 0.1; done
ip netns exec "$A" timeout 30 iperf3 -c 198.51.100.1 -p 5301 -t 10 -J >"$RUN/iperf.json" 2>&1
bps=$(jq -r '.end.sum_received.bits_per_second // 0' "$RUN/iperf.json" 2>/dev/null)
err=$(jq -r '.error // empty' "$RUN/iperf.json" 2>/dev/null)
log "iperf3 A->B through vhost: $(awkf "${bps:-0} / 1e6") Mbit/s"
check "iperf3 A->B 10 s without errors" bash -c "[[ -z '$err' ]] && awk 'BEGIN{exit !(${bps:-0} > 0)}'"

check "vhost still running" kill -0 "$VHPID"
