#!/bin/bash
# errors.sh: what a user sees when something is wrong: one line naming the
# cause, exit status 2, nothing left running or created.
#
#   netns <id>h: vhost alone; a second vhost tries the TAP the first one holds.
TAG=er
. "$(dirname "$0")/lib.sh"
need ip unshare mount

H=${ID}h T=${ID}t0
ns "$H"

# expect_err NAME REGEX ARGS... : vhost ARGS fails with status 2 and one line matching REGEX
expect_err() {
	local name=$1 re=$2 out rc
	shift 2
	out=$(ip netns exec "$H" timeout 10 "$VHOST" "$@" 2>&1)
	rc=$?
	if [[ $rc -eq 2 && $(wc -l <<<"$out") -eq 1 && $out =~ $re ]]; then
		pass "$name"
	else
		fail "$name (status $rc, output: $out)"
	fi
}
expect_err "no --iface" "no NIC given" -v
expect_err "unknown option" "unknown option '--bogus'" --bogus
expect_err "option without its value" "needs a value" --iface
expect_err "unknown NIC kind" "cannot tell the NIC kind" --iface foo0
expect_err "unknown type=" "unknown NIC type 'warp'" --iface x0,type=warp
expect_err "bad address" "addr=192.0.2.300/24 is not an IPv4 address" --iface "$T,type=tap,addr=192.0.2.300/24"
expect_err "multicast address refused" "is not a unicast address" --iface "$T,type=tap,addr=224.0.0.1/24"
expect_err "unknown key" "unknown key 'speed'" --iface "$T,type=tap,speed=9"
expect_err "bad mtu" "mtu=9 is not 68-65000" --iface "$T,type=tap,mtu=9"
expect_err "bad impairment" "loss=150% is not a percentage" --iface "$T,type=tap,loss=150%"
expect_err "bad route" "via=nowhere is not an IPv4 address" --iface "$T,type=tap,addr=192.0.2.2/24" --route 198.51.100.0/24,via=nowhere
expect_err "route with host bits" "has host bits set" --iface "$T,type=tap,addr=192.0.2.2/24" --route 198.51.100.7/24,via=192.0.2.1
expect_err "bad log level" "log-level loud" --iface "$T,type=tap" --log-level loud
expect_err "same address twice" "already in use" --iface "$T,type=tap,addr=192.0.2.2/24" --iface null0,addr=192.0.2.2/24
check "a failed start leaves no TAP behind" bash -c "! ip -n '$H' link show '$T' >/dev/null 2>&1"

# No /dev/net/tun: hide it in a private mount namespace.
out=$(ip netns exec "$H" unshare -m bash -c "mount -t tmpfs none /dev/net && '$VHOST' --iface $T,type=tap,addr=192.0.2.2/24" 2>&1)
rc=$?
check "missing /dev/net/tun: status 2, one line naming it" \
	bash -c "[[ $rc -eq 2 && \$(wc -l <<<'$out') -eq 1 ]] && grep -q '/dev/net/tun is missing' <<<'$out'"

# A TAP another vhost holds.
start_vhost "$H" first "$T" -- --iface "$T,type=tap,addr=192.0.2.2/24"
expect_err "TAP held by another program" "already attached to another program" --iface "$T,type=tap,addr=192.0.2.3/24"
check "the first vhost is unaffected" kill -0 "$VHPID"

out=$("$VHOST" --version)
check "--version" grep -qE '^vhost [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"
help_ok() { "$VHOST" --help | grep -q -- '--iface SPEC' && "$VHOST" --help | grep -qE '^ +tap +a TAP'; }
check "--help lists options and NIC kinds" help_ok
