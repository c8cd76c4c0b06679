/* counters.c: drop reason names, and every counter of a stack for vhctl. */
#include <stdio.h>

#include "capture_dev.h"
#include "control.h"
#include "counters.h"
#include "stack.h"

static const char *const drop_names[] = {
#define VH_DROP_NAME(id, name) name,
	VH_DROP_REASONS(VH_DROP_NAME)
#undef VH_DROP_NAME
};

const char *vh_drop_name(enum vh_drop r)
{
	return r < VH_DROP__MAX ? drop_names[r] : "?";
}

#define C(scope, s, f) fn(arg, scope, #f, (s)->f)

void vh_stack_counters(struct vh_stack *st, vh_counter_fn fn, void *arg)
{
	char scope[32];

	for (struct vh_dev *d = st->devs; d; d = d->next) {
		snprintf(scope, sizeof(scope), "dev.%s", d->name);
		C(scope, &d->stats, rx_packets);
		C(scope, &d->stats, rx_bytes);
		C(scope, &d->stats, tx_packets);
		C(scope, &d->stats, tx_bytes);
		C(scope, &d->stats, rx_dropped);
		C(scope, &d->stats, tx_dropped);
		for (unsigned r = 0; r < VH_DROP__MAX; r++)
			if (d->stats.drops[r])
				fn(arg, scope, drop_names[r], d->stats.drops[r]);
		if (d->ops->counters)
			d->ops->counters(d, fn, arg, scope);
	}
	for (unsigned r = 0; r < VH_DROP__MAX; r++)
		fn(arg, "drop", drop_names[r], st->drops[r]);
	fn(arg, "stack", "inq_drops", st->inq_drops);
	fn(arg, "pool", "small_total", st->pool.total);
	fn(arg, "pool", "small_avail", st->pool.avail);
	fn(arg, "pool", "small_low", st->pool.low);
	fn(arg, "pool", "small_fails", st->pool.fails);
	fn(arg, "pool", "big_total", st->bigpool.total);
	fn(arg, "pool", "big_avail", st->bigpool.avail);
	fn(arg, "pool", "big_fails", st->bigpool.fails);
	fn(arg, "log", "suppressed", st->log.rl_suppressed);
	vh_capture_counters(st, fn, arg);

	const struct arp_stats *a = &st->arp.stats;
	C("arp", a, rx_requests);
	C("arp", a, rx_replies);
	C("arp", a, tx_requests);
	C("arp", a, tx_replies);
	C("arp", a, tx_gratuitous);
	C("arp", a, resolved);
	C("arp", a, failed);
	C("arp", a, evicted);
	C("arp", a, conflicts);
	fn(arg, "arp", "entries", st->arp.count);
	fn(arg, "arp", "pending", st->arp.pending);

	const struct ipv4_stats *i = &st->ip.stats;
	C("ip", i, in_receives);
	C("ip", i, in_hdr_errors);
	C("ip", i, in_addr_errors);
	C("ip", i, in_unknown_protos);
	C("ip", i, in_delivers);
	C("ip", i, in_discards);
	C("ip", i, forwarded);
	C("ip", i, out_requests);
	C("ip", i, out_no_routes);
	C("ip", i, out_discards);
	C("ip", i, frag_oks);
	C("ip", i, frag_fails);
	C("ip", i, frag_creates);
	C("ip", i, reasm_reqds);
	C("ip", i, reasm_oks);
	C("ip", i, reasm_fails);
	fn(arg, "ip", "reasm_active", st->ip.reasm.used);

	const struct icmp_stats *m = &st->icmp.stats;
	C("icmp", m, in_msgs);
	C("icmp", m, in_errors);
	C("icmp", m, in_echos);
	C("icmp", m, in_echo_reps);
	C("icmp", m, in_dest_unreachs);
	C("icmp", m, in_time_excds);
	C("icmp", m, out_msgs);
	C("icmp", m, out_echo_reps);
	C("icmp", m, out_dest_unreachs);
	C("icmp", m, out_time_excds);
	C("icmp", m, out_rate_limited);
	C("icmp", m, out_suppressed);

	fn(arg, "route", "count", st->rt.count);
	fn(arg, "route", "lookups", st->rt.lookups);
	fn(arg, "route", "misses", st->rt.misses);

	const struct udp_stats *u = &st->udp.stats;
	C("udp", u, in_datagrams);
	C("udp", u, no_ports);
	C("udp", u, in_errors);
	C("udp", u, rcvbuf_errors);
	C("udp", u, out_datagrams);
	C("udp", u, out_errors);

	const struct tcp_stats *t = &st->tcp.stats;
	C("tcp", t, active_opens);
	C("tcp", t, passive_opens);
	C("tcp", t, attempt_fails);
	C("tcp", t, estab_resets);
	C("tcp", t, curr_estab);
	C("tcp", t, in_segs);
	C("tcp", t, out_segs);
	C("tcp", t, retrans_segs);
	C("tcp", t, in_errs);
	C("tcp", t, out_rsts);
	C("tcp", t, fast_retrans);
	C("tcp", t, rto_timeouts);
	C("tcp", t, sack_retrans);
	C("tcp", t, dup_acks);
	C("tcp", t, ooo_segs);
	C("tcp", t, ooo_dropped);
	C("tcp", t, challenge_acks);
	C("tcp", t, paws_drops);
	C("tcp", t, synq_evictions);
	C("tcp", t, acceptq_drops);
	C("tcp", t, tw_recycled);
	C("tcp", t, persist_probes);
	C("tcp", t, keepalive_probes);
	C("tcp", t, delayed_acks);
	C("tcp", t, conns_freed);
	fn(arg, "tcp", "conns", st->tcp.count);
	fn(arg, "sock", "open", st->sock.used);
	if (st->ctl)
		ctl_counters(st->ctl, fn, arg);
}
