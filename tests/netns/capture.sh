#!/bin/bash
# capture.sh: vhost's pcapng capture of a two-NIC router, judged by tshark.
#
#   netns <id>a              netns <id>h (vhost --forward --capture ...)          netns <id>b
#   +---------------+  <id>t0  +---------------------------------------+  <id>t1  +------------------+
#   | 192.0.2.1     |----------| 192.0.2.2            198.51.100.2     |----------| 198.51.100.1     |
#   | ping          |          | mac 02:00:00:00:0a:02  02:..:0b:02    |          | default via .2   |
#   +---------------+          +---------------------------------------+          +------------------+
#
# Five runs of vhost, each with its own sink:
#   1. a file: both NICs with names and MACs, every ARP and ICMP frame of a
#      routed ping in the right direction, checksums good, no expert warning,
#      ISB counts equal to what vhost received;
#   2. standard output into a live tshark (as `| wireshark -k -i -`) with
#      --capture-filter icmp: frames show while vhost runs, and no ARP;
#   3. a FIFO whose reader never reads: a ping flood through vhost loses
#      nothing, the capture drops and counts, vhost stops in time;
#   4. a FIFO whose reader leaves: EPIPE, vhost keeps forwarding;
#   5. no capture at start: vhctl starts one with a filter, shows it, stops it.
TAG=ca
. "$(dirname "$0")/lib.sh"
need ping tshark capinfos ethtool ip mkfifo timeout
VHCTL=${VHCTL:-$(dirname "$VHOST")/vhctl}
[[ -x $VHCTL ]] || { fail "vhctl binary not found at $VHCTL"; exit 1; }

H=${ID}h A=${ID}a B=${ID}b TA=${ID}t0 TB=${ID}t1
MA=02:00:00:00:0a:02 MB=02:00:00:00:0b:02
TSO="-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
ns "$H"; ns "$A"; ns "$B"

NICS=(--iface "$TA,type=tap,addr=192.0.2.2/24,mac=$MA"
	--iface "$TB,type=tap,addr=198.51.100.2/24,mac=$MB" --forward)

# plug_both: the TAPs vhost just made go to A and B, with routes through vhost
plug_both() {
	plug "$H" "$TA" "$A" 192.0.2.1/24
	plug "$H" "$TB" "$B" 198.51.100.1/24
	ip -n "$A" route add default via 192.0.2.2
	ip -n "$B" route add default via 198.51.100.2
}

# stop_vhost PID : SIGTERM, and wait (bounded) for it to exit
stop_vhost() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

# count FILE FILTER : frames of FILE matching the display filter
count() {
	tshark -r "$1" $TSO -Y "$2" 2>/dev/null | wc -l
}

# --- 1. To a file -------------------------------------------------------------
CAP=$RUN/router.pcapng
start_vhost "$H" vhost1 "$TA" "$TB" -- "${NICS[@]}" --control none --capture "$CAP"
plug_both
out=$(ip netns exec "$A" ping -c 5 -i 0.1 -W 1 -q 198.51.100.1 2>&1)
check "run 1: ping A->B through vhost, 5 of 5" grep -q " 5 received" <<<"$out"
check "run 1: vhost exits on SIGTERM" stop_vhost "$VHPID"
wait "$VHPID"
check "run 1: exit status 0" test $? -eq 0

nif=$(capinfos -I "$CAP" 2>/dev/null | grep -c 'Name = ')
check "two interfaces in the file (got $nif)" test "$nif" = 2
ifs=$(tshark -r "$CAP" -X 'read_format:MIME Files Format' -T fields -E separator=/s \
	-e pcapng.options.option.data.interface.name -e pcapng.options.option.data.mac 2>/dev/null)
check "interface names and MACs: $ifs" test "$ifs" = "$TA,$TB $MA,$MB"
check "tshark reads it without a warning" \
	bash -c "! tshark -r '$CAP' 2>&1 >/dev/null | grep -v 'Running as user' | grep -q ."
tshark -r "$CAP" $TSO -q -z expert >"$RUN/expert.txt" 2>/dev/null
check "no expert error or warning with checksum checks on" \
	bash -c "! grep -qE '^(Errors|Warns) \\(' '$RUN/expert.txt'"
check "no malformed frame" test "$(count "$CAP" _ws.malformed)" = 0
check "no bad checksum" \
	test "$(count "$CAP" 'ip.checksum.status=="Bad" || icmp.checksum.status=="Bad"')" = 0
n=$(count "$CAP" 'ip.checksum.status=="Good" && icmp.checksum.status=="Good"')
check "every ICMP frame's IPv4 and ICMP checksums good ($n)" test "$n" = 20

# The ping, hop by hop: in on t0, out on t1, back in on t1, out on t0.
I="frame.interface_name==" IN="frame.packet_flags_direction==1" OUT="frame.packet_flags_direction==2"
check "echo requests in on $TA: 5" test "$(count "$CAP" "$I\"$TA\" && $IN && icmp.type==8")" = 5
check "echo requests out on $TB: 5" test "$(count "$CAP" "$I\"$TB\" && $OUT && icmp.type==8")" = 5
check "echo replies in on $TB: 5" test "$(count "$CAP" "$I\"$TB\" && $IN && icmp.type==0")" = 5
check "echo replies out on $TA: 5" test "$(count "$CAP" "$I\"$TA\" && $OUT && icmp.type==0")" = 5
check "forwarded requests leave with TTL 63" \
	test "$(count "$CAP" "$I\"$TB\" && icmp.type==8 && ip.ttl==63")" = 5
check "ARP request in on $TA (A asks for vhost)" \
	test "$(count "$CAP" "$I\"$TA\" && $IN && arp.opcode==1 && arp.dst.proto_ipv4==192.0.2.2")" -ge 1
check "ARP reply out on $TA" \
	test "$(count "$CAP" "$I\"$TA\" && $OUT && arp.opcode==2 && arp.src.hw_mac==$MA")" -ge 1
check "ARP request out on $TB (vhost asks for B)" \
	test "$(count "$CAP" "$I\"$TB\" && $OUT && arp.opcode==1 && arp.dst.proto_ipv4==198.51.100.1")" -ge 1
check "ARP reply in on $TB" \
	test "$(count "$CAP" "$I\"$TB\" && $IN && arp.opcode==2 && arp.dst.hw_mac==$MB")" -ge 1
# Every frame: sent by vhost <=> marked outbound.
for x in "$TA $MA" "$TB $MB"; do
	set -- $x
	check "direction flags on $1: vhost's frames outbound, the rest inbound" test \
		"$(count "$CAP" "$I\"$1\" && ((eth.src==$2 && !$OUT) || (!(eth.src==$2) && !$IN))")" = 0
done
# isb_ifrecv counts what each NIC received since the capture started: all of it was captured.
recv=$(tshark -r "$CAP" -X 'read_format:MIME Files Format' -T fields \
	-e pcapng.options.option.data.interface.received 2>/dev/null)
want="$(count "$CAP" "$I\"$TA\" && $IN"),$(count "$CAP" "$I\"$TB\" && $IN")"
check "ISB received counts ($recv) equal the inbound frames ($want)" test "$recv" = "$want"
drops=$(tshark -r "$CAP" -X 'read_format:MIME Files Format' -T fields \
	-e pcapng.options.option.data.interface.dropped_by_os 2>/dev/null)
check "ISB capture drops 0,0 ($drops)" test "$drops" = "0,0"
check "vhost logs what it wrote" grep -qE 'capture stopped, path=.*, dropped=0' "$RUN/vhost1.log"

# --- 2. Standard output, live, filtered -------------------------------------------
LIVE=$RUN/live.txt
# The brace group keeps vhost's PID; its standard output is the pipe.
bg "$H" live bash -c "{ '$VHOST' ${NICS[*]} --control none --capture - --capture-filter icmp \
	2>'$RUN/vhost2.log' & echo \$! >'$RUN/vhost2.pid'; wait; } |
	tshark -l -i - -T fields -e frame.interface_name -e frame.packet_flags_direction \
		-e _ws.col.Protocol -e icmp.type >'$LIVE' 2>'$RUN/tshark2.log'"
PIPEPID=$BGPID
wait_link "$H" "$TA" 5 && wait_link "$H" "$TB" 5 || { fail "run 2: vhost did not create its TAPs"; exit 1; }
wait_log "$RUN/vhost2.log" "worker running" 5 || { fail "run 2: vhost did not start"; exit 1; }
V2=$(cat "$RUN/vhost2.pid")
plug_both
ip netns exec "$A" ping -c 3 -i 0.2 -W 1 -q 198.51.100.1 >"$RUN/ping2.log" 2>&1
check "run 2: ping through vhost, 3 of 3" grep -q " 3 received" "$RUN/ping2.log"
for _ in $(seq 100); do (($(wc -l <"$LIVE") >= 12)) && break; sleep 0.05; done
check "tshark on the pipe shows the 12 ICMP frames while vhost runs" \
	bash -c "kill -0 $V2 && test \$(wc -l <'$LIVE') = 12"
check "the filter let no ARP through" bash -c "! grep -qv 'ICMP' '$LIVE'"
check "live directions: t0 in/out, t1 out/in" test \
	"$(cut -f1,2,4 "$LIVE" | sort | uniq -c | awk '{print $1, $3, $4}' | tr '\n' ';')" = \
	"3 0x00000001 8;3 0x00000002 0;3 0x00000001 0;3 0x00000002 8;"
check "run 2: vhost exits on SIGTERM" stop_vhost "$V2"
for _ in $(seq 100); do kill -0 "$PIPEPID" 2>/dev/null || break; sleep 0.05; done
check "tshark ends at the end of the stream" bash -c "! kill -0 $PIPEPID 2>/dev/null"
log "live tshark: $(tr '\n' ' ' <"$RUN/tshark2.log")"

# --- 3. A FIFO reader that never reads ---------------------------------------------
FIFO=$RUN/stall.fifo
mkfifo "$FIFO"
# Opens the FIFO and sleeps: the pipe (64 KiB) and the ring (4 MiB) fill up.
bg "$H" stall bash -c "exec 3<'$FIFO'; sleep 120"
start_vhost "$H" vhost3 "$TA" "$TB" -- "${NICS[@]}" --control none --capture "$FIFO"
plug_both
t0=$(date +%s%N)
out=$(ip netns exec "$A" timeout 60 ping -f -c 5000 -s 1400 -W 1 198.51.100.1 2>&1)
t1=$(date +%s%N)
rx=$(grep -oE '[0-9]+ received' <<<"$out" | cut -d' ' -f1)
log "ping -f with a stalled reader: $(grep -E 'transmitted' <<<"$out"), $(((t1 - t0) / 1000000)) ms"
check "ping -f -s 1400 through vhost, reader stalled: >= 99.9% answered (${rx:-0})" \
	test "${rx:-0}" -ge 4995
t0=$(date +%s%N)
check "run 3: vhost exits on SIGTERM, the stuck reader notwithstanding" stop_vhost "$VHPID"
log "stop with a stuck reader took $((($(date +%s%N) - t0) / 1000000)) ms"
wait "$VHPID"
check "run 3: exit status 0" test $? -eq 0
line=$(grep 'capture stopped' "$RUN/vhost3.log")
log "$line"
dropped=$(grep -oE 'dropped=[0-9]+' <<<"$line" | cut -d= -f2)
check "capture counted its drops (${dropped:-none})" test "${dropped:-0}" -gt 10000

# --- 4. A FIFO reader that leaves --------------------------------------------------
FIFO=$RUN/gone.fifo
mkfifo "$FIFO"
bg "$H" gone bash -c "head -c 100 <'$FIFO' >/dev/null"
GONE=$BGPID
start_vhost "$H" vhost4 "$TA" "$TB" -- "${NICS[@]}" --control none --capture "$FIFO"
plug_both
for _ in $(seq 100); do kill -0 "$GONE" 2>/dev/null || break; sleep 0.05; done
check "run 4: the reader left" bash -c "! kill -0 $GONE 2>/dev/null"
out=$(ip netns exec "$A" ping -c 50 -i 0.02 -W 1 -q 198.51.100.1 2>&1)
check "run 4: ping through vhost after the reader left, 50 of 50" grep -q " 50 received" <<<"$out"
check "run 4: vhost still running" kill -0 "$VHPID"
check "run 4: vhost exits on SIGTERM" stop_vhost "$VHPID"
wait "$VHPID"
check "run 4: exit status 0" test $? -eq 0
line=$(grep 'capture stopped' "$RUN/vhost4.log")
log "$line"
check "the capture ended on EPIPE and counted the rest as dropped" \
	grep -qE 'dropped=[1-9][0-9]*,.*ended by: Broken pipe' <<<"$line"

# --- 5. Started and stopped at run time with vhctl ---------------------------------
S=$RUN/ctl.sock RT=$RUN/runtime.pcapng
vc() { "$VHCTL" -s "$S" "$@"; }
cap_state() { vc capture | awk 'NR == 2 { print $1 }'; }
start_vhost "$H" vhost5 "$TA" "$TB" -- "${NICS[@]}" --control "$S"
plug_both
check "vhctl capture: off before any start" test "$(cap_state)" = off
# Echo requests only: what the filter rejects is counted, not written.
out=$(vc capture start "$RT" filter 'icmp[icmptype] == icmp-echo' 2>&1)
check "vhctl capture start $RT filter 'icmp[icmptype] == icmp-echo' ($out)" test -z "$out"
out=$(vc capture start "$RUN/second.pcapng" 2>&1)
check "a second start is refused ($out)" grep -q "one is running" <<<"$out"
ip netns exec "$A" ping -c 4 -i 0.1 -W 1 -q 198.51.100.1 >"$RUN/ping5.log" 2>&1
check "run 5: ping through vhost, 4 of 4" grep -q " 4 received" "$RUN/ping5.log"
st=$(vc -j capture)
log "vhctl -j capture: $st"
check "vhctl capture: running, 8 requests written (4 in, 4 out), replies and ARP filtered" \
	grep -qE '"state": "running".*"written": 8, "filtered": ([89]|[1-9][0-9]+),' <<<"$st"
check "vhctl stats capture: the same counters" \
	bash -c "'$VHCTL' -s '$S' stats capture | grep -qE '^capture +written +8\$'"
check "vhctl capture stop" vc capture stop
for _ in $(seq 40); do [[ $(cap_state) == stopped ]] && break; sleep 0.05; done
check "vhctl capture: stopped" test "$(cap_state)" = stopped
check "vhctl capture stop again is refused" bash -c "! '$VHCTL' -s '$S' capture stop 2>/dev/null"
check "vhost forwards after the capture stopped" \
	ip netns exec "$A" ping -c 2 -i 0.1 -W 1 -q 198.51.100.1
check "the file holds the 8 echo requests and nothing else" \
	test "$(count "$RT" 'icmp.type==8')/$(count "$RT" frame)" = 8/8
check "run 5: vhost exits on SIGTERM" stop_vhost "$VHPID"
