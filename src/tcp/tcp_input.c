/* tcp_input.c: segment arrival (RFC 9293 §3.10.7), with RFC 5961's defences
 * against blind RST, SYN and data injection, RFC 7323's PAWS, RFC 2018's SACK
 * scoreboard, RFC 5681 / RFC 6582 congestion control on the ACK path and RFC
 * 6298 RTT sampling.
 *
 * The steps below follow §3.10.7 in order; each is labelled with its number.
 * A function that may free the connection (tcp_done) returns right after. */
#include <errno.h>
#include <string.h>

#include "ipv4.h"
#include "routing/route.h"
#include "stack.h"
#include "tcp/tcp.h"

/* Returned by the state handlers when the segment was used (not dropped). */
#define USED VH_DROP__MAX

static uint32_t seglen(const struct wire_tcp *t)
{
	return (uint32_t)t->payload_len + !!(t->flags & TCP_SYN) + !!(t->flags & TCP_FIN);
}

/* The MSS we announce: the route's MTU less IPv4 and TCP headers (RFC 9293 §3.7.1). */
static uint16_t local_mss(struct vh_stack *st, uint32_t raddr)
{
	struct rt_result rt;
	struct vh_iface *local = vh_iface_by_addr(st, raddr);
	uint32_t mtu = 1500;

	if (local)
		mtu = local->dev->mtu;
	else if (rt_lookup(st, raddr, &rt) == 0 && rt.dev)
		mtu = rt.dev->mtu;
	if (mtu > 65535)
		mtu = 65535;
	return (uint16_t)(mtu > 40 + 536 ? mtu - 40 : 536);
}

/* The shift that lets rcvbuf be advertised in 16 bits (RFC 7323 §2.3). */
static uint8_t wscale_for(uint32_t buf)
{
	uint8_t s = 0;

	while (s < 14 && (buf >> s) > 65535)
		s++;
	return s;
}

/* Options agreed from the peer's SYN (or SYN-ACK); our own SYN offered them all. */
static void negotiate(struct tcp_conn *c, const struct wire_tcp *t)
{
	const struct wire_tcp_opts *o = &t->opt;

	c->mss_local = local_mss(c->st, c->raddr);
	/* RFC 9293 §3.7.1: without the option the peer takes 536. */
	c->peer_mss = o->has_mss ? o->mss : 536;
	if (c->peer_mss < 64)
		c->peer_mss = 64; /* absurdly small MSS values only waste our CPU */
	c->ws_ok = o->has_ws;
	c->snd_wscale = c->ws_ok ? o->ws : 0;
	if (!c->ws_ok)
		c->rcv_wscale = 0;
	c->sack_ok = o->sack_perm;
	c->ts_ok = o->has_ts;
	if (c->ts_ok)
		c->ts_recent = o->tsval;
	c->mss = c->peer_mss < c->mss_local ? c->peer_mss : c->mss_local;
	if (c->ts_ok)
		c->mss -= 12; /* every segment carries the 12 bytes of timestamps */
	/* RFC 6928: an initial window of 10 segments. */
	c->cwnd = 10u * c->mss;
	c->ssthresh = UINT32_MAX / 2;
}

static void queue_push(struct tcp_conn **head, struct tcp_conn **tail, struct tcp_conn *c)
{
	c->qnext = NULL;
	c->qprev = *tail;
	if (*tail)
		(*tail)->qnext = c;
	else
		*head = c;
	*tail = c;
}

/* §3.10.7.2: LISTEN. Returns a drop reason or USED. */
static int listen_input(struct tcp_conn *l, const struct wire_tcp *t, const struct ipv4_rx *rx)
{
	struct vh_stack *st = l->st;
	struct tcp_conn *c;
	unsigned synq_max = l->backlog * 2 > TCP_SYNQ_MIN ? l->backlog * 2 : TCP_SYNQ_MIN;

	/* First, check for a RST: ignore it. */
	if (t->flags & TCP_RST)
		return VH_DROP_TCP_STATE;
	/* Second, an ACK here is for a connection we do not have: reset it. */
	if (t->flags & TCP_ACK) {
		tcp_send_reset_reply(st, rx, t);
		return VH_DROP_TCP_NO_PORT;
	}
	/* Third, a SYN. */
	if (!(t->flags & TCP_SYN))
		return VH_DROP_TCP_STATE;
	if (l->acceptq_len >= l->backlog) {
		/* The application is not accepting: let the peer retry its SYN later. */
		st->tcp.stats.acceptq_drops++;
		return VH_DROP_TCP_BACKLOG;
	}
	if (l->synq_len >= synq_max) {
		/* A full SYN queue evicts its oldest half-open entry, so a flood of SYNs keeps
		 * recycling a fixed set while real handshakes (which finish in one RTT) get
		 * through. */
		st->tcp.stats.synq_evictions++;
		tcp_done(l->synq_head, 0);
	}
	c = tcp_conn_new(st);
	if (!c)
		return VH_DROP_TCP_BACKLOG;
	c->laddr = rx->dst;
	c->lport = t->dport;
	c->raddr = rx->src;
	c->rport = t->sport;
	c->sndbuf = l->sndbuf;
	c->rcvbuf = l->rcvbuf;
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->keep_idle_s = l->keep_idle_s;
	c->keep_intvl_s = l->keep_intvl_s;
	c->keep_cnt = l->keep_cnt;
	c->rcv_wscale = wscale_for(c->rcvbuf);
	negotiate(c, t);
	c->irs = t->seq;
	c->rcv_nxt = t->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->iss = tcp_isn(st, c->laddr, c->lport, c->raddr, c->rport);
	c->ts_offset = c->iss; /* unrelated across connections, stable within one */
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	c->recover = c->iss;
	c->snd_wnd = t->wnd; /* never scaled in a SYN */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = t->seq;
	c->snd_wl2 = c->iss;
	c->state = TCP_SYN_RECEIVED;
	if (tcp_hash_add(c) < 0) {
		tcp_conn_free(c);
		return VH_DROP_TCP_STATE;
	}
	c->listener = l;
	c->lq = 1;
	queue_push(&l->synq_head, &l->synq_tail, c);
	l->synq_len++;
	st->tcp.stats.passive_opens++;
	/* Data in a SYN is not queued: the peer sends it again after the handshake. */
	tcp_send_segment(c, TCP_SYN | TCP_ACK, c->iss, 0);
	tcp_rearm_rtx(c);
	return USED;
}

static void established(struct tcp_conn *c, const struct wire_tcp *t)
{
	c->retries = 0;
	c->snd_wl1 = t->seq;
	c->snd_wl2 = t->ack;
	tcp_set_state(c, TCP_ESTABLISHED);
	tcp_keep_reset(c);
}

/* §3.10.7.3: SYN-SENT. */
static int syn_sent_input(struct tcp_conn *c, const struct wire_tcp *t, const struct ipv4_rx *rx)
{
	bool ack_ok = false;

	/* First, the ACK: it must cover our SYN and nothing we did not send. */
	if (t->flags & TCP_ACK) {
		if (seq_le(t->ack, c->iss) || seq_gt(t->ack, c->snd_max)) {
			tcp_send_reset_reply(c->st, rx, t);
			return VH_DROP_TCP_STATE;
		}
		ack_ok = true;
	}
	/* Second, a RST: only believed if it acknowledges our SYN. */
	if (t->flags & TCP_RST) {
		if (ack_ok) {
			c->st->tcp.stats.attempt_fails++;
			tcp_done(c, -ECONNREFUSED);
			return USED;
		}
		return VH_DROP_TCP_STATE;
	}
	/* Fourth, the SYN. */
	if (!(t->flags & TCP_SYN))
		return VH_DROP_TCP_STATE;
	negotiate(c, t);
	c->irs = t->seq;
	c->rcv_nxt = t->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->snd_wnd = t->wnd;
	c->max_snd_wnd = c->snd_wnd;
	if (ack_ok) {
		c->snd_una = t->ack;
		if (c->rtt_ts && !c->retries)
			tcp_rtt_sample(c, vh_now(c->st) - c->rtt_ts);
		c->rtt_ts = 0;
		vh_timer_cancel(c->st, &c->t_rtx);
		established(c, t);
		/* Data that came with the SYN-ACK is not taken; it will come again. */
		tcp_send_ack(c);
		tcp_output(c);
		return USED;
	}
	/* Simultaneous open: answer with SYN-ACK from the same ISS. */
	c->state = TCP_SYN_RECEIVED;
	c->snd_wl1 = t->seq;
	tcp_send_segment(c, TCP_SYN | TCP_ACK, c->iss, 0);
	return USED;
}

/* RFC 2018 §3: blocks above SND.UNA and not beyond what we sent go on the scoreboard. */
static void sack_update(struct tcp_conn *c, const struct wire_tcp *t)
{
	for (unsigned i = 0; i < t->opt.nsack; i++) {
		uint32_t s = t->opt.sack[i].start, e = t->opt.sack[i].end;
		if (!seq_lt(s, e) || seq_gt(e, c->snd_max) || seq_le(e, c->snd_una))
			continue; /* impossible, beyond what we sent, or already acknowledged */
		if (seq_lt(s, c->snd_una))
			s = c->snd_una;
		tcp_ivs_add(&c->sacked, s, e);
	}
}

static uint32_t flight(const struct tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

static void enter_recovery(struct tcp_conn *c)
{
	uint32_t f = flight(c);

	/* RFC 5681 §3.2 steps 2-4 with RFC 6582's recovery point. */
	c->ssthresh = f / 2 > 2u * c->mss ? f / 2 : 2u * c->mss;
	c->recover = c->snd_max;
	c->in_recovery = true;
	c->rtx_next = c->snd_una;
	c->st->tcp.stats.fast_retrans++;
	tcp_retransmit_hole(c);
	/* With SACK the pipe estimate replaces NewReno's artificial inflation (RFC 6675). */
	c->cwnd = c->sack_ok ? c->ssthresh : c->ssthresh + 3u * c->mss;
}

/* An ACK that moves SND.UNA forward (RFC 9293 §3.10.7.4 fifth step, ESTABLISHED). */
static void new_ack(struct tcp_conn *c, const struct wire_tcp *t)
{
	uint32_t acked = t->ack - c->snd_una;
	uint32_t data = acked < c->snd.len ? acked : c->snd.len;

	if (data) {
		c->snd.head = (c->snd.head + data) % c->snd.size;
		c->snd.len -= data;
	}
	c->snd_una = t->ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	tcp_ivs_trim(&c->sacked, c->snd_una);
	c->rtx_next = seq_max(c->rtx_next, c->snd_una);
	/* RTT: timestamps echo when the acknowledged data left (RFC 7323 §4.1); without
	 * them, the one timed segment (RFC 6298 §3 with Karn's rule). */
	if (c->ts_ok && t->opt.has_ts && t->opt.tsecr) {
		uint32_t ms = tcp_ts_now(c) - t->opt.tsecr;
		if (ms < 60000)
			tcp_rtt_sample(c, (uint64_t)ms * VH_MS + VH_MS / 2);
	} else if (c->rtt_ts && seq_gt(t->ack, c->rtt_seq)) {
		tcp_rtt_sample(c, vh_now(c->st) - c->rtt_ts);
		c->rtt_ts = 0;
	}
	c->retries = 0;
	if (c->in_recovery) {
		if (seq_ge(t->ack, c->recover)) {
			/* RFC 6582 §3.2 step 3: full acknowledgment; deflate the window. */
			uint32_t f = flight(c) + c->mss;
			c->cwnd = c->ssthresh < f ? c->ssthresh : f;
			c->in_recovery = false;
			c->dupacks = 0;
		} else {
			/* Partial acknowledgment: the next hole is lost too. */
			tcp_retransmit_hole(c);
			if (!c->sack_ok) {
				c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
				c->cwnd += c->mss;
			}
		}
	} else {
		c->dupacks = 0;
		if (c->cwnd < c->ssthresh) {
			/* Slow start with appropriate byte counting, L = 2 (RFC 3465). */
			c->cwnd += acked < 2u * c->mss ? acked : 2u * c->mss;
		} else {
			/* Congestion avoidance: about one MSS per RTT. */
			uint32_t inc = (uint32_t)((uint64_t)c->mss * acked / c->cwnd);
			c->cwnd += inc ? inc : 1;
		}
		if (c->cwnd > 2 * TCP_BUF_MAX)
			c->cwnd = 2 * TCP_BUF_MAX;
	}
	if (c->cwnd < c->mss)
		c->cwnd = c->mss;
	tcp_rearm_rtx(c);
	if (data)
		tcp_notify(c); /* room to write */
}

/* The fifth step for synchronized states. Returns USED, or a drop reason, or -1
 * when the connection is gone. */
static int ack_input(struct tcp_conn *c, const struct wire_tcp *t)
{
	bool dup;

	if (seq_gt(t->ack, c->snd_max)) {
		/* It acknowledges something not yet sent: send an ACK and drop it. */
		tcp_send_ack(c);
		return VH_DROP_TCP_STATE;
	}
	if (seq_lt(t->ack, c->snd_una - c->max_snd_wnd)) {
		/* RFC 5961 §5.2: far below anything valid: possibly blind injection. */
		tcp_send_challenge_ack(c);
		return VH_DROP_TCP_STATE;
	}
	if (c->sack_ok && t->opt.nsack)
		sack_update(c, t);
	/* RFC 5681 §2: a duplicate ACK carries no data, does not move the window and
	 * arrives while data is outstanding. */
	dup = t->ack == c->snd_una && !t->payload_len && !(t->flags & (TCP_SYN | TCP_FIN)) &&
	      ((uint32_t)t->wnd << c->snd_wscale) == c->snd_wnd && flight(c) > 0;
	/* With SACK the blocks say a segment arrived, whatever the window did meanwhile (a
	 * receiver whose application reads opens its window in the same ACK). */
	if (!dup && t->opt.nsack && c->sack_ok && t->ack == c->snd_una && flight(c) > 0 &&
	    !t->payload_len)
		dup = true;
	if (seq_gt(t->ack, c->snd_una))
		new_ack(c, t);
	/* Window update (SND.WL1/WL2 rule). */
	if (seq_lt(c->snd_wl1, t->seq) ||
	    (c->snd_wl1 == t->seq && seq_le(c->snd_wl2, t->ack))) {
		c->snd_wnd = (uint32_t)t->wnd << c->snd_wscale;
		c->snd_wl1 = t->seq;
		c->snd_wl2 = t->ack;
		if (c->snd_wnd > c->max_snd_wnd)
			c->max_snd_wnd = c->snd_wnd;
		if (c->snd_wnd && c->persist) {
			c->persist = false;
			vh_timer_cancel(c->st, &c->t_rtx);
			c->retries = 0;
		}
	}
	if (dup) {
		c->st->tcp.stats.dup_acks++;
		c->dupacks++;
		if (c->in_recovery) {
			uint32_t high = c->sacked.n ? c->sacked.iv[c->sacked.n - 1].end : c->snd_una;
			/* RFC 5681 §3.2 step 5: each dupack means a segment left the network
			 * (with SACK the pipe estimate in tcp_output already knows). */
			if (!c->sack_ok)
				c->cwnd += c->mss;
			/* Data sent well after our retransmission of the first hole has been
			 * SACKed while the hole stays: that retransmission was lost too. Scan
			 * the holes again rather than wait for the timer. */
			if (c->sacked.n && seq_gt(high, c->rtx_mark + 3u * c->mss)) {
				c->rtx_next = c->snd_una;
				c->rtx_mark = c->snd_max;
			}
			if (c->sacked.n && seq_lt(c->rtx_next, high))
				tcp_retransmit_hole(c);
		} else if (seq_gt(c->snd_una, c->recover) || c->snd_una == c->recover) {
			/* Three dupacks, or (RFC 6675's IsLost) more than three segments SACKed. */
			if (c->dupacks >= 3 ||
			    (c->sacked.n && tcp_ivs_bytes(&c->sacked) > 3u * c->mss))
				enter_recovery(c);
		}
	}
	/* Our FIN is acknowledged when SND.UNA passed it. */
	if (c->fin_sent && c->snd_una == c->snd_max) {
		switch (c->state) {
		case TCP_FIN_WAIT_1:
			tcp_set_state(c, TCP_FIN_WAIT_2);
			if (c->detached)
				vh_timer_arm(c->st, &c->t_keep, TCP_FIN_WAIT2_NS);
			break;
		case TCP_CLOSING:
			tcp_tw_enter(c);
			break;
		case TCP_LAST_ACK:
			tcp_done(c, 0);
			return -1;
		default:
			break;
		}
	}
	return USED;
}

/* The seventh step: segment text into the receive ring. */
static void data_input(struct tcp_conn *c, const struct wire_tcp *t, uint32_t seq,
		       const uint8_t *data, uint32_t n)
{
	struct tcp_stats *s = &c->st->tcp.stats;

	if (!n || !c->rcv.buf)
		return;
	/* Never past the ring, whatever the window arithmetic said. */
	if (seq - c->rcv_nxt + n > c->rcv.size - c->rcv.len) {
		if (seq - c->rcv_nxt >= c->rcv.size - c->rcv.len)
			return;
		n = c->rcv.size - c->rcv.len - (seq - c->rcv_nxt);
	}
	if (seq == c->rcv_nxt) {
		bool had_ooo = c->ooo.n != 0;
		uint32_t end;
		tcp_ring_write(&c->rcv, c->rcv.len, data, n);
		c->rcv.len += n;
		c->rcv_nxt += n;
		/* Data that waited above the hole joins in (it is already in the ring). */
		end = tcp_ivs_pop_at(&c->ooo, c->rcv_nxt);
		c->rcv.len += end - c->rcv_nxt;
		c->rcv_nxt = end;
		tcp_ivs_trim(&c->ooo, c->rcv_nxt);
		/* RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK every second full segment, at once
		 * when a hole was filled, else after a short delay. */
		if (had_ooo || ++c->acks_pending >= 2 || (t->flags & TCP_PSH && n < c->mss / 2))
			tcp_send_ack(c);
		else
			tcp_delack_arm(c);
		tcp_notify(c);
		return;
	}
	/* Above a hole: into the ring at its place, remembered in the OOO map. */
	s->ooo_segs++;
	if (!tcp_ivs_add(&c->ooo, seq, seq + n)) {
		s->ooo_dropped++;
	} else {
		tcp_ring_write(&c->rcv, c->rcv.len + (seq - c->rcv_nxt), data, n);
	}
	/* RFC 5681 §4.2: an out-of-order segment is acknowledged at once (a dupack with SACK). */
	tcp_send_ack(c);
}

/* The eighth step: the FIN, once everything before it has arrived. Never frees
 * the connection (TIME_WAIT's timer does that later), so the caller goes on. */
static void fin_input(struct tcp_conn *c)
{
	c->fin_pending = false;
	c->rcv_nxt++;
	tcp_send_ack(c);
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		tcp_set_state(c, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT_1:
		if (c->fin_sent && c->snd_una == c->snd_max)
			tcp_tw_enter(c);
		else
			tcp_set_state(c, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT_2:
		tcp_tw_enter(c);
		break;
	case TCP_TIME_WAIT:
		vh_timer_arm(c->st, &c->t_keep, 2 * TCP_MSL_NS); /* restart the 2 MSL */
		break;
	default:
		break;
	}
	tcp_notify(c);
}

/* §3.10.7.4: every synchronized state, and SYN-RECEIVED. */
static int sync_input(struct tcp_conn *c, struct wire_tcp *t)
{
	uint32_t seq = t->seq, len = seglen(t), rwnd;
	const uint8_t *data = t->payload;
	uint32_t n = (uint32_t)t->payload_len;
	bool fin = t->flags & TCP_FIN;
	int r;

	/* RFC 7323 §5.3: PAWS. An older timestamp than the last in-window one is a
	 * segment from a previous wrap of the sequence space. */
	if (c->ts_ok && t->opt.has_ts && !(t->flags & TCP_RST) &&
	    seq_lt(t->opt.tsval, c->ts_recent)) {
		c->st->tcp.stats.paws_drops++;
		tcp_send_ack(c);
		return VH_DROP_TCP_STATE;
	}
	/* First, is the sequence number acceptable? (the four cases of §3.10.7.4) */
	rwnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (tcp_rcv_window(c) > rwnd)
		rwnd = tcp_rcv_window(c);
	{
		bool ok;
		/* A segment without data is taken anywhere from RCV.NXT to a window's worth
		 * beyond, even when our window is zero: a peer that pushed bytes into a window
		 * we then closed has SND.NXT past our RCV.NXT, and refusing its ACKs would
		 * deadlock both directions. The ACK field is still checked on its own. */
		if (len == 0)
			ok = seq_le(c->rcv_nxt, seq) &&
			     seq_le(seq, c->rcv_nxt + (rwnd > 65535 ? rwnd : 65535));
		else
			ok = rwnd != 0 &&
			     ((seq_le(c->rcv_nxt, seq) && seq_lt(seq, c->rcv_nxt + rwnd)) ||
			      (seq_le(c->rcv_nxt, seq + len - 1) &&
			       seq_lt(seq + len - 1, c->rcv_nxt + rwnd)));
		/* A zero window still takes the ACK and RST of a segment at RCV.NXT. */
		if (!ok && rwnd == 0 && seq == c->rcv_nxt) {
			ok = true;
			n = 0;
			fin = false;
		}
		if (!ok) {
			if (!(t->flags & TCP_RST))
				tcp_send_ack(c);
			return VH_DROP_TCP_STATE;
		}
	}
	/* Second, RST (RFC 5961 §3.2): only an exact RCV.NXT resets; anything else in
	 * the window gets a challenge ACK that a real peer answers with the right RST. */
	if (t->flags & TCP_RST) {
		if (seq != c->rcv_nxt) {
			tcp_send_challenge_ack(c);
			return VH_DROP_TCP_STATE;
		}
		switch (c->state) {
		case TCP_SYN_RECEIVED:
			tcp_done(c, c->listener ? 0 : -ECONNREFUSED);
			break;
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
		case TCP_CLOSE_WAIT:
			c->st->tcp.stats.estab_resets++;
			tcp_done(c, -ECONNRESET);
			break;
		default:
			tcp_done(c, 0);
			break;
		}
		return USED;
	}
	/* Fourth, a SYN in a synchronized state (RFC 5961 §4): challenge ACK. */
	if (t->flags & TCP_SYN) {
		if (c->state == TCP_SYN_RECEIVED && seq == c->irs) {
			/* Our SYN-ACK was lost: the peer repeats its SYN. */
			tcp_send_segment(c, TCP_SYN | TCP_ACK, c->iss, 0);
			return USED;
		}
		tcp_send_challenge_ack(c);
		return VH_DROP_TCP_STATE;
	}
	/* Trim what we already have off the front, and what lies beyond the window off
	 * the back (RFC 9293 §3.10.7.4, "first"). */
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - seq;
		if (d > n) {
			d = n;
			if (fin && seq + n != c->rcv_nxt)
				fin = false; /* an old FIN we already took */
		}
		data += d;
		n -= d;
		seq += d;
	}
	if (seq_gt(seq + n, c->rcv_nxt + rwnd)) {
		n = c->rcv_nxt + rwnd - seq;
		fin = false;
	}
	/* RFC 7323 §4.3: remember the timestamp of a segment that covers the last ACK. */
	if (c->ts_ok && t->opt.has_ts && seq_le(t->seq, c->last_ack_sent) &&
	    seq_ge(t->opt.tsval, c->ts_recent))
		c->ts_recent = t->opt.tsval;
	/* Fifth, the ACK field. */
	if (!(t->flags & TCP_ACK))
		return VH_DROP_TCP_STATE;
	if (c->state == TCP_SYN_RECEIVED) {
		if (!(seq_lt(c->snd_una, t->ack) && seq_le(t->ack, c->snd_max))) {
			struct ipv4_rx rx = {.src = c->raddr, .dst = c->laddr};
			tcp_send_reset_reply(c->st, &rx, t);
			return VH_DROP_TCP_STATE;
		}
		if (c->listener) {
			struct tcp_conn *l = c->listener;
			if (l->acceptq_len >= l->backlog) {
				/* Stay half-open; the peer's retransmission will try again. */
				c->st->tcp.stats.acceptq_drops++;
				return VH_DROP_TCP_BACKLOG;
			}
			if (tcp_alloc_bufs(c) < 0) {
				tcp_send_rst(c);
				tcp_done(c, -ENOMEM);
				return VH_DROP_NOMEM;
			}
			/* From the SYN queue to the accept queue. */
			tcp_listener_unlink(c);
			c->listener = l;
			c->lq = 2;
			queue_push(&l->acceptq_head, &l->acceptq_tail, c);
			l->acceptq_len++;
		}
		c->snd_una = t->ack;
		c->snd_nxt = seq_max(c->snd_nxt, c->snd_una);
		c->snd_wnd = (uint32_t)t->wnd << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		if (c->ts_ok && t->opt.has_ts && t->opt.tsecr)
			tcp_rtt_sample(c, (uint64_t)(tcp_ts_now(c) - t->opt.tsecr) * VH_MS);
		vh_timer_cancel(c->st, &c->t_rtx);
		established(c, t);
	} else if (c->state != TCP_TIME_WAIT) {
		r = ack_input(c, t);
		if (r != USED)
			return r < 0 ? USED : r;
	}
	c->last_rx = vh_now(c->st);
	tcp_keep_reset(c);
	/* Sixth, URG: urgent data is delivered inline as ordinary data (RFC 6093 §6). */
	/* Seventh, segment text. */
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT_1:
	case TCP_FIN_WAIT_2:
		data_input(c, t, seq, data, n);
		break;
	default:
		break; /* the peer already sent its FIN: nothing more can come */
	}
	/* Eighth, FIN. */
	if (fin && c->state != TCP_CLOSED && c->state != TCP_SYN_RECEIVED) {
		uint32_t fseq = seq + n;
		if (fseq == c->rcv_nxt || (c->state == TCP_TIME_WAIT || c->state == TCP_CLOSE_WAIT ||
					   c->state == TCP_CLOSING || c->state == TCP_LAST_ACK)) {
			if (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
			    c->state == TCP_FIN_WAIT_2) {
				fin_input(c);
			} else {
				/* A repeated FIN: acknowledge it again. */
				if (c->state == TCP_TIME_WAIT)
					vh_timer_arm(c->st, &c->t_keep, 2 * TCP_MSL_NS);
				tcp_send_ack(c);
			}
		} else {
			/* Above a hole: it counts once the hole fills. */
			c->fin_pending = true;
			c->fin_seq = fseq;
		}
	}
	if (c->fin_pending && c->fin_seq == c->rcv_nxt &&
	    (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	     c->state == TCP_FIN_WAIT_2))
		fin_input(c);
	/* Whatever else this segment was, its ACK may have opened the window or freed
	 * cwnd: send what waits, a FIN included. Skipping this when a FIN arrives
	 * leaves queued data unsent for good once everything sent is acknowledged:
	 * no timer runs then, the peer has nothing left to ACK, and the application
	 * sleeps on a send ring that is still nearly full. (tcp_output sends nothing
	 * in the states where nothing may be sent, such as TIME_WAIT.) */
	tcp_output(c);
	return USED;
}

void tcp_input(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx)
{
	struct tcp_stats *s = &st->tcp.stats;
	struct wire_tcp t;
	struct tcp_conn *c;
	int r;

	s->in_segs++;
	/* RFC 1122 §4.2.3.10: TCP is unicast only. */
	if (rx->bcast || rx->mcast) {
		vh_drop(st, pkt->dev, pkt, VH_DROP_TCP_BAD);
		return;
	}
	r = wire_tcp_parse(pkt->data, pkt->len, rx->src, rx->dst, &t);
	if (r < 0) {
		s->in_errs++;
		vh_drop(st, pkt->dev, pkt, r == -EBADMSG ? VH_DROP_TCP_CSUM : VH_DROP_TCP_BAD);
		return;
	}
	c = tcp_lookup(st, rx->dst, t.dport, rx->src, t.sport);
	/* A new SYN for a TIME_WAIT connection above its old sequence space may reopen it
	 * (RFC 9293 §3.6.1, RFC 6191 with timestamps). */
	if (c && c->state == TCP_TIME_WAIT && (t.flags & TCP_SYN) && !(t.flags & TCP_ACK) &&
	    (seq_gt(t.seq, c->rcv_nxt) ||
	     (c->ts_ok && t.opt.has_ts && seq_gt(t.opt.tsval, c->ts_recent)))) {
		s->tw_recycled++;
		tcp_done(c, 0);
		c = tcp_lookup(st, rx->dst, t.dport, rx->src, t.sport);
	}
	if (!c || c->state == TCP_CLOSED) {
		/* §3.10.7.1: CLOSED. Everything but a RST is answered with one. */
		tcp_send_reset_reply(st, rx, &t);
		vh_drop(st, pkt->dev, pkt, VH_DROP_TCP_NO_PORT);
		return;
	}
	if (c->state == TCP_LISTEN)
		r = listen_input(c, &t, rx);
	else if (c->state == TCP_SYN_SENT)
		r = syn_sent_input(c, &t, rx);
	else
		r = sync_input(c, &t);
	if (r != USED) {
		vh_drop(st, pkt->dev, pkt, (enum vh_drop)r);
		return;
	}
	vh_pkt_free(pkt);
}
