# shellcheck shell=bash
# lib.sh: what every integration test shares. Source it after setting TAG (2 letters).
#
# Each run names its namespaces and TAPs from TAG and its own PID, so two runs
# can overlap; everything it makes is removed by the EXIT trap, even when the
# test fails half-way: the processes it started (by PID), anything else still
# running inside its namespaces, then the namespaces (which takes their TAPs).
# Only the documentation ranges are used: 192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24.
set -u
: "${TAG:?set TAG before sourcing lib.sh}"
ID=$TAG$$                          # e.g. ho12345: namespace and link names start with it
VHOST=${VHOST:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tools/vhost}
RUN=$(mktemp -d "${TMPDIR:-/tmp}/vh-$ID.XXXX")
NSS=()
PIDS=()
PASSES=0
FAILS=0

log() { printf '[%s] %s\n' "$ID" "$*" >&2; }
pass() { echo "PASS: $TAG: $*"; PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $TAG: $*"; FAILS=$((FAILS + 1)); }
# check NAME CMD... : one PASS or FAIL line from CMD's exit status
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# need CMD... : a peer we cannot run is a failure, never a skip
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || { fail "required program '$c' is not installed"; exit 1; }
	done
	[[ -x $VHOST ]] || { fail "vhost binary not found at $VHOST"; exit 1; }
}

cleanup() {
	local rc=$? p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for ns in "${NSS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if ((rc != 0 && FAILS == 0)); then echo "FAIL: $TAG: aborted (status $rc)"; FAILS=1; fi
	if ((FAILS)); then
		log "logs kept in $RUN"
		for f in "$RUN"/*.log; do [[ -s $f ]] && { echo "--- $f (last 30 lines)"; tail -n 30 "$f"; }; done
	else
		rm -rf "$RUN"
	fi
	echo "RESULT: $TAG: $PASSES passed, $FAILS failed"
	((FAILS == 0 && PASSES > 0)) && exit 0
	exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ns NAME : a namespace of ours, loopback up
ns() {
	ip netns add "$1" || { fail "cannot create namespace $1"; exit 1; }
	NSS+=("$1")
	ip -n "$1" link set lo up
}

# bg NS LOG CMD... : run CMD in NS in the background; its PID in $BGPID
bg() {
	local n=$1 l=$2
	shift 2
	ip netns exec "$n" "$@" >"$RUN/$l.log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}

# wait_link NS LINK [SECONDS] : until the link exists (vhost created its TAP)
wait_link() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		ip -n "$1" link show "$2" >/dev/null 2>&1 && return 0
		kill -0 "$BGPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# wait_log FILE REGEX [SECONDS]
wait_log() {
	local i
	for ((i = 0; i < ${3:-5} * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_vhost NS LOG TAP... -- ARGS... : vhost in NS; waits for the TAPs; PID in $VHPID
start_vhost() {
	local n=$1 l=$2 taps=() t
	shift 2
	while [[ $1 != -- ]]; do taps+=("$1"); shift; done
	shift
	bg "$n" "$l" "$VHOST" "$@"
	VHPID=$BGPID
	for t in "${taps[@]}"; do
		wait_link "$n" "$t" 5 || { fail "vhost did not create TAP $t"; exit 1; }
	done
	wait_log "$RUN/$l.log" "worker running" 5 || { fail "vhost did not start"; exit 1; }
}

# plug HOSTNS TAP PEERNS CIDR [MTU] : move the TAP's kernel side to PEERNS and address it
plug() {
	ip -n "$1" link set "$2" netns "$3" || { fail "cannot move $2 to $3"; exit 1; }
	ip -n "$3" addr add "$4" dev "$2"
	[[ -n ${5:-} ]] && ip -n "$3" link set "$2" mtu "$5"
	ip -n "$3" link set "$2" up
	# No offloads: the kernel side must checksum and segment in software like a NIC would.
	ip netns exec "$3" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

# ratio helpers for figures
awkf() { awk "BEGIN { print $* }"; }
