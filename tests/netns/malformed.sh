#!/bin/bash
# malformed.sh: whatever the wire sends, vhost keeps running, drops what is
# wrong, says why, and still answers the next ping.
#
#   netns <id>a                              netns <id>h
#   +---------------------+   TAP <id>t0    +---------------------+
#   | scapy 192.0.2.1     |-----------------| vhost 192.0.2.2/24  |
#   | (bad frames)        |                 | -v (drops logged)   |
#   +---------------------+                 +---------------------+
TAG=ma
. "$(dirname "$0")/lib.sh"
need ping ethtool
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { fail "python3-scapy is not installed"; exit 1; }

H=${ID}h A=${ID}a T=${ID}t0
ns "$H"; ns "$A"
start_vhost "$H" vhost "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24" --control none -v
plug "$H" "$T" "$A" 192.0.2.1/24
check "ping before" ip netns exec "$A" ping -c 2 -i 0.2 -W 1 -q 192.0.2.2
mac=$(ip netns exec "$A" ip neigh show 192.0.2.2 | awk '{print $5}')

# Each group is sent after a pause so the rate-limited drop log shows it.
cat >"$RUN/bad.py" <<PY
import os, random, time
from scapy.all import Ether, IP, ICMP, UDP, ARP, Raw, sendp, fragment
iface, dst = "$T", "$mac"
random.seed(7)
e = Ether(dst=dst)
def send(pkts, name):
    sendp(pkts, iface=iface, verbose=False)
    print("sent", name, flush=True)
    time.sleep(1.2)
def ipraw(b):  # an IPv4 header as raw bytes, no fixing up by scapy
    return Ether(dst=dst, type=0x0800) / Raw(bytes(b))
good = bytes(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP() / Raw(b"x" * 8))
bad_csum = bytearray(good); bad_csum[10] ^= 0xff
ver5 = bytearray(good); ver5[0] = 0x55
ihl3 = bytearray(good); ihl3[0] = 0x43
tl_big = bytearray(good); tl_big[2:4] = (65535).to_bytes(2, "big")
tl_small = bytearray(good); tl_small[2:4] = (10).to_bytes(2, "big")
send([ipraw(x) for x in (bad_csum, ver5, ihl3, tl_big, tl_small)], "bad IPv4 headers")
send([e / IP(dst="192.0.2.2", options=[b"\x07\x00"]) / ICMP(),
      e / IP(dst="192.0.2.2", flags=4) / ICMP(),
      e / IP(dst="192.0.2.2", frag=8191) / Raw(b"y" * 64)], "bad options and fragment fields")
a = IP(dst="192.0.2.2", id=4242, flags=1, frag=0) / ICMP(type=8) / Raw(b"A" * 64)
b = IP(dst="192.0.2.2", id=4242, proto=1, flags=0, frag=4) / Raw(b"B" * 64)   # overlaps a at byte 32
send([e / a, e / b], "overlapping fragments")
send([e / IP(dst="192.0.2.2", id=9000 + i, flags=1) / Raw(b"z" * 8) for i in range(40)],
     "40 unfinished datagrams (reassembly bound)")
send([e / IP(dst="192.0.2.2") / ICMP(chksum=1), e / IP(dst="192.0.2.2", proto=1) / Raw(b"\x08")],
     "bad ICMP")
send([e / IP(dst="192.0.2.2") / UDP(dport=9, len=200) / Raw(b"u")], "bad UDP length")
send([Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(hwlen=7, pdst="192.0.2.2"),
      Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(op=9, pdst="192.0.2.2"),
      Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(hwsrc="ff:ff:ff:ff:ff:ff", psrc="192.0.2.1", pdst="192.0.2.2")],
     "bad ARP")
send([Ether(dst=dst, type=0x0800) / Raw(b""), Ether(dst=dst, type=0x0806) / Raw(b"\x00")], "truncated")
send([e / IP(src="192.0.2.2", dst="192.0.2.2") / ICMP(), e / IP(src="224.0.0.9", dst="192.0.2.2") / ICMP()],
     "martian sources")
flood = []
for i in range(3000):
    n = random.randint(0, 1486)
    flood.append(Ether(dst=dst, type=random.choice([0x0800, 0x0806, 0x86dd, 0x1234])) / Raw(os.urandom(n)))
sendp(flood, iface=iface, verbose=False)
print("sent 3000 random frames", flush=True)
PY
ip netns exec "$A" timeout 120 $PY "$RUN/bad.py" >"$RUN/scapy.log" 2>&1
check "scapy sent every group" grep -q "sent 3000 random frames" "$RUN/scapy.log"
sleep 0.5
check "vhost still running" kill -0 "$VHPID"
check "ping after" ip netns exec "$A" ping -c 3 -i 0.2 -W 1 -q 192.0.2.2
L=$RUN/vhost.log
for reason in ip_bad_checksum ip_malformed ip_reasm_overlap ip_reasm_full icmp_bad_checksum \
	icmp_malformed udp_malformed arp_malformed ip_martian ether_unknown_type; do
	check "drop counted and logged: $reason" grep -q "drop $reason" "$L"
done
