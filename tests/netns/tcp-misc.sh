#!/bin/bash
# tcp-misc.sh: connecting out, closing, half-close, RST, closed ports, UDP
# port unreachable, and a SYN flood that must not disturb an established
# connection.
#
#   netns <id>a                          netns <id>h
#   +-------------------+   TAP <id>t0   +------------------------------+
#   | Linux 192.0.2.1   |----------------| vhost 192.0.2.2/24           |
#   | nc, python, hping3|                | echo 7, discard 9            |
#   | socat echo :5000  |                +------------------------------+
#   |                   |   TAP <id>t1   +------------------------------+
#   | 198.51.100.1      |----------------| tcp-echo client (libvh)      |
#   +-------------------+                | 198.51.100.2/24              |
#                                        +------------------------------+
TAG=tm
. "$(dirname "$0")/lib.sh"
need nc socat hping3 /usr/bin/python3 sha256sum ethtool timeout
TCP_ECHO=${TCP_ECHO:-$(dirname "$VHOST")/tcp-echo}
[[ -x $TCP_ECHO ]] || { fail "tcp-echo not found at $TCP_ECHO"; exit 1; }
PY=/usr/bin/python3

H=${ID}h A=${ID}a T=${ID}t0 T1=${ID}t1
ns "$H"; ns "$A"
start_vhost "$H" vhost "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24" --control none \
	--service echo --service discard
plug "$H" "$T" "$A" 192.0.2.1/24

# A program on the socket API connects out to a Linux server and verifies 20 MB.
bg "$A" socat socat TCP-LISTEN:5000,reuseaddr,fork EXEC:cat
bg "$H" tcp-echo "$TCP_ECHO" --iface "$T1,type=tap,addr=198.51.100.2/24" client 198.51.100.1 5000 20000000
EPID=$BGPID
wait_link "$H" "$T1" 5 || fail "tcp-echo did not create its TAP"
plug "$H" "$T1" "$A" 198.51.100.1/24
for _ in $(seq 300); do kill -0 "$EPID" 2>/dev/null || break; sleep 0.1; done
wait "$EPID"
check "connect out: tcp-echo sent 20 MB to socat and verified the echo" test $? -eq 0
log "tcp-echo: $(tail -n 1 "$RUN/tcp-echo.log")"

# Half-close: the client shuts down writing and still reads everything back.
out=$(ip netns exec "$A" $PY - <<'PY'
import socket
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"x" * 100000)
s.shutdown(socket.SHUT_WR)
n = 0
while True:
    d = s.recv(65536)
    if not d:
        break
    n += len(d)
print(n)
PY
)
check "half-close: 100000 bytes echoed after our FIN, then vhost's FIN" test "$out" = 100000

# A closed port answers with RST at once.
out=$(ip netns exec "$A" $PY - <<'PY'
import socket, time
t = time.time()
try:
    socket.create_connection(("192.0.2.2", 4444), timeout=5)
    print("connected")
except ConnectionRefusedError:
    print("refused %.3f" % (time.time() - t))
except Exception as e:
    print(type(e).__name__)
PY
)
check "closed TCP port: refused by RST (${out})" grep -q "^refused 0\.[0-4]" <<<"$out"

# UDP to a closed port: ICMP port unreachable, seen as ECONNREFUSED.
out=$(ip netns exec "$A" $PY - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("192.0.2.2", 4444))
s.send(b"hello")
try:
    s.recv(100)
    print("data")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
PY
)
check "closed UDP port: ICMP port unreachable" test "$out" = refused

# The peer resets a connection in the middle of a transfer (SO_LINGER 0).
out=$(ip netns exec "$A" $PY - <<'PY'
import socket, struct
s = socket.create_connection(("192.0.2.2", 9), timeout=5)
s.sendall(b"y" * 500000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"still here")
print(s.recv(100).decode())
PY
)
check "RST from the peer mid-transfer; vhost serves the next connection" test "$out" = "still here"

# vhost closes first: chargen-like reply then FIN is covered by echo's half-close
# above; here the client closes while vhost still has data queued.
out=$(ip netns exec "$A" $PY - <<'PY'
import socket
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"z" * 200000)
s.close()
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"ok")
print(s.recv(10).decode())
PY
)
check "client closes with echo data unread (RST from Linux); vhost unharmed" test "$out" = ok

# SYN flood from random sources while an established connection moves 30 MB, and
# one opened before the flood is still answered after it.
head -c 30000000 /dev/urandom >"$RUN/in.bin"
ip netns exec "$A" $PY - >"$RUN/idle.log" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("192.0.2.2", 7), timeout=20)
s.sendall(b"before")
print(s.recv(10).decode())
time.sleep(10)
s.sendall(b"through")
print(s.recv(10).decode())
PY
IDLE=$!
PIDS+=("$IDLE")
sleep 0.5
want=$(sha256sum <"$RUN/in.bin" | cut -d' ' -f1)
ip netns exec "$A" timeout -s INT 8 hping3 -S -p 7 --flood --rand-source -q 192.0.2.2 \
	>"$RUN/hping3.log" 2>&1 &
HP=$!
PIDS+=("$HP")
sleep 1
t0=$(date +%s%N)
ip netns exec "$A" timeout 60 nc -N 192.0.2.2 7 <"$RUN/in.bin" >"$RUN/out.bin"
t1=$(date +%s%N)
got=$(sha256sum <"$RUN/out.bin" | cut -d' ' -f1)
check "during a SYN flood: 30 MB through echo, sha256 identical" test "$got" = "$want"
wait "$HP" 2>/dev/null
log "hping3: $(grep -E 'packets transmitted' "$RUN/hping3.log")"
t0=$(date +%s%N)
out=$(ip netns exec "$A" $PY - <<'PY'
import socket
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"after")
print(s.recv(10).decode())
PY
)
t1=$(date +%s%N)
check "after the flood: a new connection is served at once" test "$out" = after
log "first connection after the flood took $(awkf "($t1 - $t0) / 1e6") ms"
wait "$IDLE"
check "a connection established before the flood still echoes after it" \
	bash -c "grep -q '^through$' '$RUN/idle.log'"
check "vhost still running" kill -0 "$VHPID"
