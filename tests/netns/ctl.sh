#!/bin/bash
# ctl.sh: vhctl against a running vhost: every command, --json through jq,
# the socket's mode and life, exit statuses, and hostile clients.
#
#   netns <id>a                          netns <id>h
#   +-------------------+   TAP <id>t0   +------------------------------+
#   | Linux 192.0.2.1   |----------------| vhost 192.0.2.2/24 on <id>t0 |
#   | 198.51.100.1 (lo) |                |       null0 (no address)     |
#   +-------------------+                +------------------------------+
#                                          control socket $RUN/ctl.sock
#                                          <- vhctl, socat (root namespace)
#
# Route changes are shown to take effect at once: Linux pings vhost from
# 198.51.100.1, and vhost can answer only while `vhctl route add` holds a
# route back to it.
TAG=vc
. "$(dirname "$0")/lib.sh"
need ip ping jq socat setpriv
VHCTL=${VHCTL:-$(dirname "$VHOST")/vhctl}
[[ -x $VHCTL ]] || { fail "vhctl binary not found at $VHCTL"; exit 1; }

H=${ID}h A=${ID}a T=${ID}t0 S=$RUN/ctl.sock
ns "$H"; ns "$A"
start_vhost "$H" vhost "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24" --iface null0 --control "$S"
plug "$H" "$T" "$A" 192.0.2.1/24
ip -n "$A" addr add 198.51.100.1/32 dev lo
ip -n "$A" route add 198.51.100.0/24 via 192.0.2.2 2>/dev/null

vc() { "$VHCTL" -s "$S" "$@"; }
# out CMD... : CMD's stdout and stderr together, for grep
out() { "$@" 2>&1; }
# status WANT CMD... : CMD exits with WANT
status() {
	local want=$1
	shift
	"$@" >/dev/null 2>&1
	test $? -eq "$want"
}
# ping_from SRC : one ping from Linux at SRC to vhost answered?
ping_from() { ip netns exec "$A" ping -c 1 -W 1 -I "$1" -q 192.0.2.2 >/dev/null 2>&1; }
no_ping_from() { ! ping_from "$1"; }

# --- the socket ------------------------------------------------------------------------------
check "socket created mode 0600" test "$(stat -c %a "$S")" = 600
check "socket is a socket" test -S "$S"
check "vhctl --version" grep -q '^vhctl ' <<<"$(out "$VHCTL" --version)"
check "vhctl --help names every object" \
	bash -c "'$VHCTL' --help | grep -q 'addr' && '$VHCTL' --help | grep -q 'forward'"

# --- link --------------------------------------------------------------------------------------
check "link lists the TAP and null0" \
	bash -c "out=\$('$VHCTL' -s '$S' link) && grep -q '$T .*tap .*up' <<<\"\$out\" && grep -q 'null0 .*null' <<<\"\$out\""
check "link --json: TAP has carrier" \
	test "$(vc --json link | jq -r ".[] | select(.name==\"$T\") | .carrier")" = yes
check "link --json: mtu is a number" test "$(vc -j link "$T" | jq '.[0].mtu | type')" = '"number"'

# --- addr --------------------------------------------------------------------------------------
check "addr shows 192.0.2.2/24 on the TAP" grep -q "$T *192.0.2.2/24 *192.0.2.255" <<<"$(vc addr)"
check "addr add 198.51.100.2/24 dev null0" vc addr add 198.51.100.2/24 dev null0
check "addr --json shows it" \
	test "$(vc -j addr show dev null0 | jq -r '.[0].address')" = 198.51.100.2/24
check "the new address answers at once" \
	ip netns exec "$A" ping -c 1 -W 1 -q 198.51.100.2
check "addr add again: refused (exit 1)" status 1 vc addr add 198.51.100.2/24 dev null0
check "addr add again: says why" grep -q "already an address" <<<"$(out vc addr add 198.51.100.2/24 dev null0)"
check "addr del 198.51.100.2/24 dev null0" vc addr del 198.51.100.2/24 dev null0
check "addr del: gone" test "$(vc -j addr show dev null0 | jq length)" = 0
check "addr del: no longer answers" bash -c "! ip netns exec '$A' ping -c 1 -W 1 -q 198.51.100.2"

# --- route: changes take effect at once -----------------------------------------------------------
check "no route back to 198.51.100.1: no answer" no_ping_from 198.51.100.1
check "route add 198.51.100.0/24 via 192.0.2.1" vc route add 198.51.100.0/24 via 192.0.2.1 metric 10
check "with the route: answered at once" ping_from 198.51.100.1
check "route show lists it" grep -q "198.51.100.0/24 *192.0.2.1 *- *10 *static" <<<"$(vc route)"
check "route --json: hits counted" \
	bash -c "test \$('$VHCTL' -s '$S' -j route | jq '.[] | select(.destination==\"198.51.100.0/24\") | .hits') -ge 1"
check "route add: same route refused (exit 1)" status 1 vc route add 198.51.100.0/24 via 192.0.2.1 metric 10
check "route del 198.51.100.0/24" vc route del 198.51.100.0/24
check "without it: no answer again" no_ping_from 198.51.100.1
check "route add default via 192.0.2.1" vc route add default via 192.0.2.1
check "default route: answered" ping_from 198.51.100.1
check "route --json is valid, lists default" \
	test "$(vc -j route | jq -r '.[] | select(.destination=="default") | .gateway')" = 192.0.2.1
check "route del default" vc route del default
check "route del again: refused (exit 1)" status 1 vc route del default
check "route add with host bits: usage error (exit 2)" status 2 vc route add 198.51.100.1/24 via 192.0.2.1
check "route add via a NIC that does not exist: refused naming it" \
	grep -q "no NIC named 'nope'" <<<"$(out vc route add 198.51.100.0/24 via 192.0.2.1 dev nope)"

# --- neigh -------------------------------------------------------------------------------------
mac=$(ip -n "$A" -j link show "$T" | jq -r '.[0].address')
check "neigh learned Linux at $mac" \
	test "$(vc -j neigh | jq -r '.[] | select(.address=="192.0.2.1") | .lladdr')" = "$mac"
check "neigh add 192.0.2.50 lladdr 02:00:00:00:00:50" vc neigh add 192.0.2.50 lladdr 02:00:00:00:00:50 dev "$T"
check "neigh shows it permanent" grep -q "192.0.2.50 *$T *02:00:00:00:00:50 *permanent" <<<"$(vc neigh)"
check "neigh del 192.0.2.50" vc neigh del 192.0.2.50
check "neigh del again: refused (exit 1)" status 1 vc neigh del 192.0.2.50
check "neigh add with a broadcast MAC: usage error (exit 2)" \
	status 2 vc neigh add 192.0.2.50 lladdr ff:ff:ff:ff:ff:ff dev "$T"

# --- stats: every counter ------------------------------------------------------------------------
check "stats --json: valid, every scope" \
	test "$(vc -j stats | jq -r "[has(\"dev.$T\"), has(\"dev.null0\"), has(\"ip\"), has(\"icmp\"), has(\"arp\"), has(\"route\"), has(\"drop\"), has(\"pool\"), has(\"stack\"), has(\"log\"), has(\"ctl\")] | all")" = true
check "stats: echo requests counted" test "$(vc -j stats icmp | jq '.icmp.in_echos')" -ge 3
check "stats: the no-route drops counted" test "$(vc -j stats drop | jq '.drop.ip_no_route')" -ge 1
check "stats dev: only device scopes" \
	test "$(vc -j stats dev | jq -r 'keys | map(startswith("dev.")) | all')" = true
n_text=$(vc stats | tail -n +2 | wc -l)
n_json=$(vc -j stats | jq '[.[] | length] | add')
check "stats: text and JSON list the same $n_json counters" test "$n_text" -eq "$n_json"
check "stats of an unknown scope: refused (exit 1)" status 1 vc stats nosuch

# --- forward, log ------------------------------------------------------------------------------
check "forward is off" test "$(vc -j forward | jq -r '.[0].forwarding')" = off
check "forward on" vc forward on
check "forward shows on" grep -q '^on$' <<<"$(vc forward)"
check "forward off" vc forward off
check "log level debug" vc log level debug
check "log shows debug" test "$(vc -j log | jq -r '.[0].level')" = debug
check "vhost logged the change" wait_log "$RUN/vhost.log" "log level debug" 2
vc log level info

# --- exit statuses and one-line errors ------------------------------------------------------------
check "unknown command: exit 2" status 2 vc frobnicate
check "unknown command: one line naming it" \
	test "$(out vc frobnicate)" = "vhctl: unknown command 'frobnicate' (commands: addr, route, neigh, link, stats, forward, log, capture, help)"
check "no command: exit 2" status 2 vc
check "unknown option: exit 2" status 2 "$VHCTL" --bogus
check "no such socket: exit 2, says so" \
	bash -c "'$VHCTL' -s '$RUN/nosuch.sock' link 2>&1 >/dev/null | grep -q 'no such socket'; test \${PIPESTATUS[0]} -eq 2"
check "another user: permission denied, exit 2" \
	bash -c "chmod 755 '$RUN'; setpriv --reuid=65534 --regid=65534 --clear-groups '$VHCTL' -s '$S' link 2>&1 | grep -q 'permission denied'; test \${PIPESTATUS[0]} -eq 2"

# --- hostile clients -------------------------------------------------------------------------------
# raw TEXT : send bytes from stdin, print the reply (socat waits 2 s for it)
raw() { socat -t 2 - "UNIX-CONNECT:$S" 2>/dev/null; }
r=$(head -c 100000 /dev/zero | tr '\0' x | raw)
check "a 100 KB line: error reply naming the bound" grep -q "longer than 4096" <<<"$r"
r=$(printf 'route\0show\n' | raw)
check "a NUL inside a request: error reply" grep -q "byte 0x00 at offset 5" <<<"$r"
r=$( (head -c 3000 /dev/urandom; echo) | raw)
check "binary garbage: error reply" grep -q "^error " <<<"$r"
r=$(printf 'route add 198.51.100.0/2' | raw)
check "half a request, then hang up: no reply, no harm" test -z "$r"
r=$(printf 'link\nroute\nbogus\nforward\n' | raw)
check "four pipelined requests: four replies in order" \
	test "$(grep -cE '^(ok|error) [0-9]+$' <<<"$r")" -eq 4
check "vhost answers after hostile clients" grep -q "$T" <<<"$(vc link)"
check "hostile clients counted: too long, refused, hung up mid-request" \
	test "$(vc -j stats ctl | jq '.ctl.too_long >= 1 and .ctl.refused >= 3 and .ctl.hangup_midrequest >= 1')" = true

# 100 clients at once: each is answered, or told "busy" if past the bound; none hangs.
for i in $(seq 100); do
	( "$VHCTL" -s "$S" -j stats >"$RUN/c$i.out" 2>"$RUN/c$i.err"; echo $? >"$RUN/c$i.rc" ) &
done
wait_clients() { for i in $(seq 100); do [[ -s $RUN/c$i.rc ]] || return 1; done; }
for _ in $(seq 100); do wait_clients && break; sleep 0.1; done
ok=0 busy=0 other=0
for i in $(seq 100); do
	rc=$(cat "$RUN/c$i.rc" 2>/dev/null)
	if [[ $rc == 0 ]] && jq -e .ip "$RUN/c$i.out" >/dev/null 2>&1; then ok=$((ok + 1))
	elif [[ $rc == 1 ]] && grep -q busy "$RUN/c$i.err"; then busy=$((busy + 1))
	else other=$((other + 1)); fi
done
log "100 concurrent clients: $ok answered, $busy told busy, $other otherwise"
check "100 concurrent clients: all answered or told busy ($ok ok, $busy busy)" test "$other" -eq 0
check "100 concurrent clients: most answered" test "$ok" -ge 32

# Idle connections holding every slot: newcomers are told busy, and the idle are dropped.
for i in $(seq 40); do
	socat -u "UNIX-CONNECT:$S" /dev/null 2>/dev/null &
	PIDS+=($!)
done
sleep 1
check "40 idle clients: a newcomer is told busy (exit 1)" \
	bash -c "'$VHCTL' -s '$S' link 2>&1 | grep -q busy"
sleep 11
check "idle clients dropped after 10 s: answered again" grep -q "$T" <<<"$(vc link)"
check "idle and busy clients counted" \
	test "$(vc -j stats ctl | jq '.ctl.idle_dropped >= 32 and .ctl.busy >= 8')" = true
check "vhost still answers ping" ip netns exec "$A" ping -c 3 -i 0.2 -W 1 -q 192.0.2.2
check "vhost is still running" kill -0 "$VHPID"

# --- the socket path: live, stale, gone ----------------------------------------------------------
r=$(out timeout 5 "$VHOST" --iface null0 --control "$S")
check "a second vhost on a live socket: exit 2" test $? -eq 2
check "a second vhost on a live socket: says so" grep -q "another vhost is listening" <<<"$r"
check "the first vhost keeps its socket" grep -q "$T" <<<"$(vc link)"
check "--control '': usage error" status 2 "$VHOST" --iface null0 --control ''

S2=$RUN/stale.sock
"$VHOST" --iface null0 --control "$S2" -q &
P2=$!
PIDS+=("$P2")
for _ in $(seq 50); do [[ -S $S2 ]] && break; sleep 0.1; done
kill -9 "$P2"; wait "$P2" 2>/dev/null
check "after kill -9 the stale socket remains" test -S "$S2"
check "stale socket: vhctl says vhost is not running, exit 2" \
	bash -c "'$VHCTL' -s '$S2' link 2>&1 | grep -q 'vhost is not running'; test \${PIPESTATUS[0]} -eq 2"
"$VHOST" --iface null0 --control "$S2" -q &
P2=$!
PIDS+=("$P2")
for _ in $(seq 50); do "$VHCTL" -s "$S2" link >/dev/null 2>&1 && break; sleep 0.1; done
check "a new vhost replaces the stale socket" grep -q null0 <<<"$("$VHCTL" -s "$S2" link)"
kill -TERM "$P2"; wait "$P2"
check "SIGTERM: the socket is removed" test ! -e "$S2"

kill -TERM "$VHPID"; wait "$VHPID"
check "SIGTERM: vhost exits 0" test $? -eq 0
check "SIGTERM: its socket is removed" test ! -e "$S"
