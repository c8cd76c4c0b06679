#!/bin/bash
# enc28j60.sh: vhost behind a simulated ENC28J60, against Linux's ping.
#
#   first: the chip in its own process, its SPI bus on a UNIX socket
#
#   netns <id>a                          netns <id>h
#   +----------------+  TAP <id>t0  +---------------+  unix socket  +---------------------+
#   | Linux          |--------------| enc28j60-sim  |---------------| vhost               |
#   | 192.0.2.1/24   |   the cable  | (the chip)    |  the SPI bus  | spi0 192.0.2.2/24   |
#   +----------------+              +---------------+               +---------------------+
#
#   then: the chip simulated inside vhost, interrupt-driven
#
#   netns <id>b                          netns <id>g
#   +----------------+  TAP <id>t1  +--------------------------------------+
#   | Linux          |--------------| vhost: spi1,sim=tap:<id>t1           |
#   | 198.51.100.1/24|   the cable  | 198.51.100.2/24                      |
#   +----------------+              +--------------------------------------+
#
# Each time: 1000 pings at 10 ms with none lost, full-size frames, a flood,
# and the simulator must have seen no driver mistakes.
TAG=en
. "$(dirname "$0")/lib.sh"
need ping ip
ENCSIM=${ENCSIM:-$(dirname "$VHOST")/enc28j60-sim}
VHCTL=${VHCTL:-$(dirname "$VHOST")/vhctl}
[[ -x $ENCSIM ]] || { fail "enc28j60-sim not found at $ENCSIM"; exit 1; }
[[ -x $VHCTL ]] || { fail "vhctl not found at $VHCTL"; exit 1; }

# pings NS ADDR LABEL : the ping checks, from NS to vhost at ADDR
pings() {
	local out rx
	out=$(ip netns exec "$1" ping -c 1000 -i 0.01 -W 1 -q "$2" 2>&1)
	check "$3: ping 1000 at 10 ms, 0 lost" grep -q " 1000 received, 0% packet loss" <<<"$out"
	log "$3: $(tail -n 1 <<<"$out")"
	out=$(ip netns exec "$1" ping -c 20 -i 0.02 -W 1 -q -s 1472 "$2" 2>&1)
	check "$3: ping -s 1472 (1514-byte frames), 0 lost" grep -q " 20 received, 0% packet loss" <<<"$out"
	out=$(ip netns exec "$1" ping -c 3 -i 0.2 -W 2 -q -s 3000 "$2" 2>&1)
	check "$3: ping -s 3000, fragmented both ways" grep -q " 3 received, 0% packet loss" <<<"$out"
	out=$(ip netns exec "$1" timeout 30 ping -f -c 5000 -W 1 "$2" 2>&1)
	rx=$(grep -oE '[0-9]+ received' <<<"$out" | cut -d' ' -f1)
	log "$3: ping -f: $(grep -E 'transmitted|rtt' <<<"$out" | tr '\n' ' ')"
	check "$3: ping -f 5000: at least 99% answered (${rx:-0})" test "${rx:-0}" -ge 4950
}

# --- the chip in enc28j60-sim -------------------------------------------------------
H=${ID}h A=${ID}a T=${ID}t0 SOCK=$RUN/enc.sock
ns "$H"; ns "$A"
bg "$H" encsim "$ENCSIM" --spi "unix:$SOCK" --wire "tap:$T"
SIMPID=$BGPID
wait_link "$H" "$T" 5 || { fail "enc28j60-sim did not create TAP $T"; exit 1; }
wait_log "$RUN/encsim.log" "listening on" 5 || { fail "enc28j60-sim did not start"; exit 1; }
plug "$H" "$T" "$A" 192.0.2.1/24
start_vhost "$H" vhost -- --iface "spi0,dev=unix:$SOCK,addr=192.0.2.2/24" --control none
check "vhost found the chip" grep -q "spi0: ENC28J60 EREVID 0x06 on unix:" "$RUN/vhost.log"
check "polled (no INT over a socket)" grep -q "polled every 1 ms" "$RUN/vhost.log"
pings "$A" 192.0.2.2 "socket"

kill -TERM "$VHPID"; wait "$VHPID"
check "vhost exits 0" test $? -eq 0
kill -TERM "$SIMPID"; wait "$SIMPID"
check "enc28j60-sim exits 0 on SIGTERM" test $? -eq 0
log "$(grep 'enc28j60-sim: spi' "$RUN/encsim.log")"
check "socket: no driver mistakes seen by the chip" grep -q "driver mistakes 0$" "$RUN/encsim.log"
check "socket: the socket file is removed" test ! -e "$SOCK"

# --- the chip inside vhost ------------------------------------------------------------
G=${ID}g B=${ID}b T1=${ID}t1 CTL=$RUN/ctl.sock
ns "$G"; ns "$B"
start_vhost "$G" vhost2 "$T1" -- --iface "spi1,sim=tap:$T1,addr=198.51.100.2/24" --control "$CTL"
check "in vhost: interrupt driven" grep -q "spi1: .*interrupt driven" "$RUN/vhost2.log"
plug "$G" "$T1" "$B" 198.51.100.1/24
pings "$B" 198.51.100.2 "in vhost"
stats=$("$VHCTL" -s "$CTL" stats show dev 2>&1)
mist=$(grep -E 'sim_driver_mistakes' <<<"$stats" | grep -oE '[0-9]+$')
check "in vhost: no driver mistakes (${mist:-none})" test "${mist:-1}" -eq 0
frames=$(grep -E 'enc_rx_frames' <<<"$stats" | grep -oE '[0-9]+$')
check "in vhost: frames came through the driver (${frames:-0})" test "${frames:-0}" -ge 6000

