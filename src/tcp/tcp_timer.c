/* tcp_timer.c: TCP's timers (RFC 9293 §3.8, RFC 6298, RFC 1122 §4.2.3.6).
 *
 * Three per connection: t_rtx (retransmission with exponential backoff, or
 * the persist timer probing a zero window), t_delack (delayed ACK, RFC 1122
 * §4.2.3.2) and t_keep (keepalive, the orphaned FIN_WAIT_2 limit, and
 * TIME_WAIT's 2 MSL). A connection that stops answering is killed by them,
 * so nothing lingers without a timer that will end it. */
#include <errno.h>

#include "stack.h"
#include "tcp/tcp.h"

static uint32_t flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

/* RFC 6298 §2.2-2.4 (times in ns; G, the clock granularity, is negligible). */
void tcp_rtt_sample(struct tcp_conn *c, uint64_t r)
{
	if (!c->srtt) {
		c->srtt = r;
		c->rttvar = r / 2;
	} else {
		uint64_t d = c->srtt > r ? c->srtt - r : r - c->srtt;
		c->rttvar = (3 * c->rttvar + d) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	c->rto = c->srtt + 4 * c->rttvar;
	/* §2.4 asks for at least 1 s; like most stacks we use 200 ms, which the RFC allows
	 * when the clock is fine-grained and spurious timeouts are tolerable. */
	if (c->rto < TCP_RTO_MIN_NS)
		c->rto = TCP_RTO_MIN_NS;
	if (c->rto > TCP_RTO_MAX_NS)
		c->rto = TCP_RTO_MAX_NS;
}

void tcp_rearm_rtx(struct tcp_conn *c)
{
	/* RFC 6298 §5.1-5.3: running while data is outstanding, restarted on new ACKs. */
	if (c->snd_una == c->snd_max && !(c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)) {
		if (!c->persist)
			vh_timer_cancel(c->st, &c->t_rtx);
		return;
	}
	c->persist = false;
	vh_timer_arm(c->st, &c->t_rtx, c->rto);
}

static uint64_t backoff(struct tcp_conn *c)
{
	uint64_t rto = c->rto << (c->retries < 10 ? c->retries : 10);
	return rto > TCP_RTO_MAX_NS ? TCP_RTO_MAX_NS : rto;
}

static void rtx_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct tcp_conn *c = t->arg;
	unsigned limit = c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED
				 ? TCP_SYN_RETRIES
				 : TCP_DATA_RETRIES;

	(void)st;
	if (c->persist) {
		/* RFC 9293 §3.8.6.1: probe the zero window with one byte; the probes never
		 * give up while the peer keeps answering them. */
		c->st->tcp.stats.persist_probes++;
		/* ...unless no one will ever read: an orphan (closed by its application)
		 * facing a window that stays shut is a way to pin memory, so it gets as
		 * many probes as a connection gets retransmissions. */
		if (c->detached && ++c->keep_probes > TCP_DATA_RETRIES) {
			tcp_send_rst(c);
			tcp_done(c, -ETIMEDOUT);
			return;
		}
		if (c->snd_wnd == 0 && c->snd.len > c->snd_nxt - c->snd_una) {
			tcp_send_segment(c, TCP_ACK, c->snd_nxt, 1);
			if (c->retries < 12)
				c->retries++;
			vh_timer_arm(c->st, &c->t_rtx, backoff(c));
		} else {
			c->persist = false;
			tcp_output(c);
		}
		return;
	}
	if (++c->retries > limit) {
		/* RFC 9293 §3.8.3 (R2): give up and tell the user. */
		debugf(c->st, "%u > %u: giving up after %u retransmissions", c->lport, c->rport,
		       c->retries - 1);
		if (c->state != TCP_SYN_SENT)
			tcp_send_rst(c);
		c->st->tcp.stats.attempt_fails += c->state == TCP_SYN_SENT;
		tcp_done(c, -ETIMEDOUT);
		return;
	}
	c->st->tcp.stats.rto_timeouts++;
	/* Karn: a retransmitted segment is never timed; back the timer off (RFC 6298 §5.5). */
	c->rtt_ts = 0;
	if (c->state == TCP_SYN_SENT) {
		tcp_send_segment(c, TCP_SYN, c->iss, 0);
	} else if (c->state == TCP_SYN_RECEIVED) {
		tcp_send_segment(c, TCP_SYN | TCP_ACK, c->iss, 0);
	} else {
		/* RFC 5681 §3.1 eq. 4 and RFC 6582: after a timeout, one segment and slow start;
		 * the scoreboard may be stale (RFC 2018 §8: the receiver may renege). */
		uint32_t f = flight(c);
		c->ssthresh = f / 2 > 2u * c->mss ? f / 2 : 2u * c->mss;
		c->cwnd = c->mss;
		c->in_recovery = false;
		c->recover = c->snd_max;
		c->dupacks = 0;
		c->sacked.n = 0;
		c->snd_nxt = c->snd_una;
		c->fin_sent = false;
		c->st->tcp.stats.retrans_segs++;
		tcp_output(c);
		if (c->snd_nxt == c->snd_una && c->snd_una != c->snd_max) {
			/* Nothing left to send by output's rules (a closed window): resend one. */
			uint32_t n = c->snd_max - c->snd_una;
			if (n > c->mss)
				n = c->mss;
			tcp_send_segment(c, TCP_ACK, c->snd_una, n);
		}
	}
	vh_timer_arm(c->st, &c->t_rtx, backoff(c));
}

static void delack_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct tcp_conn *c = t->arg;

	(void)st;
	c->st->tcp.stats.delayed_acks++;
	tcp_send_ack(c);
}

void tcp_delack_arm(struct tcp_conn *c)
{
	if (!vh_timer_pending(&c->t_delack))
		vh_timer_arm(c->st, &c->t_delack, TCP_DELACK_NS);
}

void tcp_keep_reset(struct tcp_conn *c)
{
	c->keep_probes = 0;
	if (c->keepalive && c->state == TCP_ESTABLISHED)
		vh_timer_arm(c->st, &c->t_keep, (uint64_t)c->keep_idle_s * VH_SEC);
}

static void keep_fire(struct vh_stack *st, struct vh_timer *t)
{
	struct tcp_conn *c = t->arg;

	(void)st;
	switch (c->state) {
	case TCP_TIME_WAIT:
		tcp_done(c, 0); /* 2 MSL are over */
		return;
	case TCP_FIN_WAIT_2:
		/* An orphan whose peer never closes: do not wait forever. */
		if (c->detached) {
			tcp_done(c, 0);
			return;
		}
		break;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		if (!c->keepalive)
			return;
		/* RFC 1122 §4.2.3.6: after keep_cnt unanswered probes the peer is gone. */
		if (c->keep_probes >= c->keep_cnt) {
			tcp_send_rst(c);
			tcp_done(c, -ETIMEDOUT);
			return;
		}
		c->keep_probes++;
		c->st->tcp.stats.keepalive_probes++;
		/* SEG.SEQ = SND.NXT-1 with no data: the peer must answer with an ACK. */
		tcp_send_segment(c, TCP_ACK, c->snd_una - 1, 0);
		vh_timer_arm(c->st, &c->t_keep, (uint64_t)c->keep_intvl_s * VH_SEC);
		return;
	default:
		return;
	}
}

void tcp_timers_init(struct tcp_conn *c)
{
	vh_timer_init(&c->t_rtx, rtx_fire, c);
	vh_timer_init(&c->t_delack, delack_fire, c);
	vh_timer_init(&c->t_keep, keep_fire, c);
}

void tcp_timers_cancel(struct tcp_conn *c)
{
	vh_timer_cancel(c->st, &c->t_rtx);
	vh_timer_cancel(c->st, &c->t_delack);
	vh_timer_cancel(c->st, &c->t_keep);
}
