#!/bin/bash
# tcp-bulk.sh: bulk TCP through vhost's discard, echo and chargen services,
# on a clean link and on one impaired by vhost itself.
#
#   netns <id>a                          netns <id>h
#   +-------------------+   TAP <id>t0   +------------------------------+
#   | Linux 192.0.2.1   |----------------| vhost 192.0.2.2/24           |
#   | nc                |                | echo 7, discard 9, chargen 19|
#   +-------------------+                +------------------------------+
#   netns <id>b                          netns <id>i
#   +-------------------+   TAP <id>t1   +------------------------------+
#   | Linux 198.51.100.1|----------------| vhost 198.51.100.2/24        |
#   | nc                |                | loss=5% reorder=2% dup=1%    |
#   +-------------------+                +------------------------------+
#
# 100 MB each way on the clean link, sha256-checked; the impaired link moves
# 20 MB through echo (both directions impaired: about 10% of segments lost
# per round trip), which is slower but must arrive intact.
TAG=tb
. "$(dirname "$0")/lib.sh"
need nc sha256sum python3 ethtool head timeout

H=${ID}h A=${ID}a T=${ID}t0
ns "$H"; ns "$A"
start_vhost "$H" vhost "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24" --control none \
	--service echo --service discard --service chargen
plug "$H" "$T" "$A" 192.0.2.1/24

MB=100
head -c ${MB}000000 /dev/urandom >"$RUN/in.bin"
want=$(sha256sum <"$RUN/in.bin" | cut -d' ' -f1)

# now_ns : a clock for rates
now_ns() { date +%s%N; }
rate() { awkf "$1 / (($3 - $2) / 1e9) / 1e6"; }

t0=$(now_ns)
ip netns exec "$A" timeout 60 nc -N 192.0.2.2 9 <"$RUN/in.bin"
rc=$?
t1=$(now_ns)
check "discard: $MB MB sent, connection closed cleanly" test $rc -eq 0
log "discard: $(rate ${MB}000000 "$t0" "$t1") MB/s into vhost"

t0=$(now_ns)
ip netns exec "$A" timeout 90 nc -N 192.0.2.2 7 <"$RUN/in.bin" >"$RUN/echo.bin"
t1=$(now_ns)
got=$(sha256sum <"$RUN/echo.bin" | cut -d' ' -f1)
check "echo: $MB MB there and back, sha256 identical" test "$got" = "$want"
log "echo: $(rate ${MB}000000 "$t0" "$t1") MB/s each way"

# RFC 864's pattern, computed here independently.
python3 - "$RUN/chargen.ref" ${MB}000000 <<'PY'
import sys
chars = bytes(range(32, 127))
line = lambda i: bytes(chars[(i + c) % 95] for c in range(72)) + b"\r\n"
cycle = b"".join(line(i) for i in range(95))
n = int(sys.argv[2])
with open(sys.argv[1], "wb") as f:
    f.write((cycle * (n // len(cycle) + 1))[:n])
PY
want_cg=$(sha256sum <"$RUN/chargen.ref" | cut -d' ' -f1)
t0=$(now_ns)
got=$(ip netns exec "$A" timeout 60 nc 192.0.2.2 19 | head -c ${MB}000000 | sha256sum | cut -d' ' -f1)
t1=$(now_ns)
check "chargen: $MB MB out of vhost, sha256 of RFC 864's pattern" test "$got" = "$want_cg"
log "chargen: $(rate ${MB}000000 "$t0" "$t1") MB/s out of vhost"

# The same through vhost's own link impairment.
I=${ID}i B=${ID}b T1=${ID}t1
ns "$I"; ns "$B"
VHCTL=${VHCTL:-$(dirname "$VHOST")/vhctl}
start_vhost "$I" vhost-impaired "$T1" -- \
	--iface "$T1,type=tap,addr=198.51.100.2/24,loss=5%,reorder=2%,dup=1%" \
	--control "$RUN/impaired.sock" --service echo --service discard
plug "$I" "$T1" "$B" 198.51.100.1/24
# A stall on the impaired link is a recovery bug, not bad luck: keep the last
# headers that crossed it so a failure shows who stopped sending, and when.
CAPPID=
if command -v tcpdump >/dev/null 2>&1; then
	ip netns exec "$B" tcpdump -Z root -i "$T1" -n -s 96 -U -w "$RUN/impaired.pcap" >/dev/null 2>&1 &
	CAPPID=$!
	PIDS+=("$CAPPID")
	sleep 0.5
fi
# impaired_diag WHAT : after a failed impaired step, what both ends say
impaired_diag() {
	log "$1 failed: vhost's TCP counters, Linux's view, the last segments"
	[[ -x $VHCTL ]] && "$VHCTL" -s "$RUN/impaired.sock" stats tcp >&2
	ip netns exec "$B" ss -tino >&2
	if [[ -n $CAPPID ]]; then
		sleep 0.5
		tcpdump -r "$RUN/impaired.pcap" -n -tt 2>/dev/null | tail -n 20 >&2
	fi
}
IMB=20
head -c ${IMB}000000 "$RUN/in.bin" >"$RUN/in20.bin"
want=$(sha256sum <"$RUN/in20.bin" | cut -d' ' -f1)
t0=$(now_ns)
ip netns exec "$B" timeout 150 nc -N 198.51.100.2 7 <"$RUN/in20.bin" >"$RUN/echo20.bin"
t1=$(now_ns)
got=$(sha256sum <"$RUN/echo20.bin" | cut -d' ' -f1)
check "impaired echo (loss 5%, reorder 2%, dup 1%): $IMB MB, sha256 identical" test "$got" = "$want"
if [[ $got != "$want" ]]; then
	log "impaired echo: $(stat -c %s "$RUN/echo20.bin") of ${IMB}000000 bytes came back"
	impaired_diag "impaired echo"
fi
log "impaired echo: $(rate ${IMB}000000 "$t0" "$t1") MB/s each way"
t0=$(now_ns)
ip netns exec "$B" timeout 100 nc -N 198.51.100.2 9 <"$RUN/in20.bin"
rc=$?
t1=$(now_ns)
check "impaired discard: $IMB MB sent, closed cleanly" test $rc -eq 0
if ((rc != 0)); then impaired_diag "impaired discard"; fi
log "impaired discard: $(rate ${IMB}000000 "$t0" "$t1") MB/s"
