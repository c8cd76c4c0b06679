/* tcp_output.c: building and sending segments (RFC 9293 §3.8-3.9; Nagle RFC
 * 896 and RFC 1122 §4.2.3.4; sender SWS avoidance RFC 1122 §4.2.3.4; windows
 * and timestamps RFC 7323; SACK blocks RFC 2018 §4; congestion window RFC
 * 5681, with NewReno's hole retransmission RFC 6582 guided by SACK).
 *
 * Segments are built in fresh MTU-sized buffers by copying from the send
 * ring, so a retransmission is the same code as a first transmission. */
#include <errno.h>
#include <string.h>

#include "ipv4.h"
#include "stack.h"
#include "tcp/tcp.h"
#include "wire/ipv4.h"

uint32_t tcp_ts_now(const struct tcp_conn *c)
{
	/* RFC 7323 §5.4: a millisecond clock, offset per connection (RFC 7323 §7.1). */
	return (uint32_t)(vh_now(c->st) / VH_MS) + c->ts_offset;
}

/* Options for a segment; SYNs announce, others report. */
static void build_opts(struct tcp_conn *c, uint8_t flags, struct wire_tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (flags & TCP_SYN) {
		bool synack = flags & TCP_ACK;
		o->has_mss = true;
		o->mss = (uint16_t)(c->mss_local);
		/* On a SYN-ACK an option is only echoed when the peer offered it (RFC 7323 §1.3,
		 * RFC 2018 §2). */
		o->has_ws = !synack || c->ws_ok;
		o->ws = c->rcv_wscale;
		o->sack_perm = !synack || c->sack_ok;
		o->has_ts = !synack || c->ts_ok;
	} else {
		o->has_ts = c->ts_ok;
	}
	if (o->has_ts) {
		o->tsval = tcp_ts_now(c);
		o->tsecr = c->ts_recent;
	}
	if (!(flags & TCP_SYN) && c->sack_ok && c->ooo.n) {
		/* RFC 2018 §4: the block holding the latest segment first, then others. */
		unsigned max = c->ts_ok ? 3 : 4, k = 0;
		o->sack[k++] = c->ooo.iv[c->ooo.last < c->ooo.n ? c->ooo.last : 0];
		for (unsigned i = 0; i < c->ooo.n && k < max; i++)
			if (i != c->ooo.last)
				o->sack[k++] = c->ooo.iv[i];
		o->nsack = (uint8_t)k;
	}
}

int tcp_send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t len)
{
	struct vh_stack *st = c->st;
	struct wire_tcp_opts o;
	struct wire_tcp h = {0};
	struct ipv4_tx tx = {.proto = IPPROTO_TCP_, .src = c->laddr, .dst = c->raddr, .df = true};
	struct vh_pkt *p;
	size_t olen;
	uint32_t wnd;
	uint8_t *b;

	if (c->state != TCP_SYN_SENT)
		flags |= TCP_ACK;
	build_opts(c, flags, &o);
	olen = wire_tcp_opts_len(&o);
	/* SACK blocks ride on data segments only as far as the MTU leaves room. */
	while (o.nsack && len && len + olen > (uint32_t)c->mss + (c->ts_ok ? 12 : 0)) {
		o.nsack--;
		olen = wire_tcp_opts_len(&o);
	}
	p = vh_pkt_alloc(st, (uint32_t)(TCP_HDR_MIN + olen + len));
	if (!p) {
		vh_drop(st, NULL, NULL, VH_DROP_NOMEM);
		return -ENOBUFS;
	}
	b = vh_pkt_put(p, (uint32_t)(TCP_HDR_MIN + olen + len));
	wire_tcp_emit_opts(b + TCP_HDR_MIN, &o);
	if (len)
		tcp_ring_read(&c->snd, seq - c->snd_una, b + TCP_HDR_MIN + olen, len);
	wnd = tcp_rcv_window(c);
	if (flags & TCP_SYN) {
		/* RFC 7323 §2.2: the window in a SYN is never scaled. */
		wnd = wnd > 65535 ? 65535 : wnd;
	} else {
		wnd >>= c->rcv_wscale;
		if (wnd > 65535)
			wnd = 65535;
		c->rcv_adv = seq_max(c->rcv_adv, c->rcv_nxt + (wnd << c->rcv_wscale));
		/* Never move the right edge left (RFC 9293 §3.8.6.2.2): scaling rounds down, so
		 * restate the old edge rounded up. */
		if (seq_lt(c->rcv_nxt + (wnd << c->rcv_wscale), c->rcv_adv)) {
			uint32_t keep = (c->rcv_adv - c->rcv_nxt + (1u << c->rcv_wscale) - 1) >>
					c->rcv_wscale;
			wnd = keep > 65535 ? 65535 : keep;
		}
	}
	h.sport = c->lport;
	h.dport = c->rport;
	h.seq = seq;
	h.ack = (flags & TCP_ACK) ? c->rcv_nxt : 0;
	h.flags = flags;
	h.wnd = (uint16_t)wnd;
	wire_tcp_emit(b, &h, olen, len, c->laddr, c->raddr);
	if (flags & TCP_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->acks_pending = 0;
		vh_timer_cancel(st, &c->t_delack);
	}
	st->tcp.stats.out_segs++;
	if (flags & TCP_RST)
		st->tcp.stats.out_rsts++;
	return ipv4_output(st, p, &tx);
}

void tcp_send_ack(struct tcp_conn *c)
{
	tcp_send_segment(c, TCP_ACK, c->snd_nxt, 0);
}

void tcp_send_rst(struct tcp_conn *c)
{
	tcp_send_segment(c, TCP_RST | TCP_ACK, c->snd_nxt, 0);
}

void tcp_send_challenge_ack(struct tcp_conn *c)
{
	struct tcp_state *t = &c->st->tcp;
	uint64_t now = vh_now(c->st);

	/* RFC 5961 §7: a global budget per second, so challenge ACKs cannot be used to
	 * amplify a flood. */
	if (now - t->chal_at >= VH_SEC) {
		t->chal_at = now;
		t->chal_tokens = TCP_CHALLENGE_PER_SEC;
	}
	if (!t->chal_tokens)
		return;
	t->chal_tokens--;
	t->stats.challenge_acks++;
	tcp_send_ack(c);
}

void tcp_send_reset_reply(struct vh_stack *st, const struct ipv4_rx *rx, const struct wire_tcp *t)
{
	struct wire_tcp h = {0};
	struct ipv4_tx tx = {.proto = IPPROTO_TCP_, .src = rx->dst, .dst = rx->src};
	struct vh_pkt *p;
	uint8_t *b;

	/* RFC 9293 §3.10.7.1: never answer a RST; nothing to broadcasts. */
	if ((t->flags & TCP_RST) || rx->bcast || rx->mcast)
		return;
	p = vh_pkt_alloc(st, TCP_HDR_MIN);
	if (!p)
		return;
	b = vh_pkt_put(p, TCP_HDR_MIN);
	h.sport = t->dport;
	h.dport = t->sport;
	if (t->flags & TCP_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		h.seq = t->ack;
		h.flags = TCP_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		h.ack = t->seq + (uint32_t)t->payload_len + !!(t->flags & TCP_SYN) +
			!!(t->flags & TCP_FIN);
		h.flags = TCP_RST | TCP_ACK;
	}
	wire_tcp_emit(b, &h, 0, 0, rx->dst, rx->src);
	st->tcp.stats.out_segs++;
	st->tcp.stats.out_rsts++;
	ipv4_output(st, p, &tx);
}

/* Highest sequence the peer reported holding, or snd_una. */
static uint32_t sack_high(const struct tcp_conn *c)
{
	return c->sacked.n ? c->sacked.iv[c->sacked.n - 1].end : c->snd_una;
}

void tcp_retransmit_hole(struct tcp_conn *c)
{
	uint32_t s = seq_max(c->snd_una, c->rtx_next), e, data_end = c->snd_una + c->snd.len;

	/* Skip what the peer already holds (RFC 6675's idea, on NewReno's schedule). */
	for (unsigned i = 0; i < c->sacked.n; i++)
		if (seq_le(c->sacked.iv[i].start, s) && seq_lt(s, c->sacked.iv[i].end))
			s = c->sacked.iv[i].end;
	if (seq_ge(s, data_end)) {
		/* Nothing unsacked is left but the FIN, maybe. */
		if (c->fin_sent && seq_lt(s, c->snd_max))
			tcp_send_segment(c, TCP_FIN | TCP_ACK, data_end, 0);
		return;
	}
	if (c->sacked.n && seq_ge(s, sack_high(c)) && c->rtx_next != c->snd_una)
		return; /* above every SACKed byte nothing is known lost */
	e = s + c->mss;
	if (seq_gt(e, data_end))
		e = data_end;
	for (unsigned i = 0; i < c->sacked.n; i++)
		if (seq_lt(s, c->sacked.iv[i].start) && seq_lt(c->sacked.iv[i].start, e))
			e = c->sacked.iv[i].start;
	c->st->tcp.stats.retrans_segs++;
	if (c->sacked.n)
		c->st->tcp.stats.sack_retrans++;
	tcp_send_segment(c, TCP_ACK, s, e - s);
	c->rtx_next = e;
	if (s == c->snd_una)
		c->rtx_mark = c->snd_max;
	if (c->rtt_ts && seq_le(s, c->rtt_seq) && seq_lt(c->rtt_seq, e))
		c->rtt_ts = 0; /* Karn: this sample would be ambiguous */
	if (!vh_timer_pending(&c->t_rtx) || c->persist)
		tcp_rearm_rtx(c);
}

void tcp_output(struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	default:
		return; /* nothing to send, or not yet allowed to */
	}
	for (;;) {
		uint32_t off = c->snd_nxt - c->snd_una;
		uint32_t avail = c->snd.len > off ? c->snd.len - off : 0;
		/* RFC 6675 §5: what the peer holds (SACKed) is not in the pipe, so new data
		 * keeps flowing during recovery; the peer's window still counts it. */
		uint32_t sacked = c->sacked.n ? tcp_ivs_bytes(&c->sacked) : 0;
		uint32_t pipe = off > sacked ? off - sacked : 0;
		uint32_t usable = c->snd_wnd > off ? c->snd_wnd - off : 0;
		uint32_t n;

		if (c->cwnd <= pipe)
			usable = 0;
		else if (c->cwnd - pipe < usable)
			usable = c->cwnd - pipe;
		n = avail < usable ? avail : usable;
		bool fin;
		uint8_t flags = TCP_ACK;

		if (n > c->mss)
			n = c->mss;
		/* The FIN goes with (or after) the last byte, once. */
		fin = c->fin_queued && off + n == c->snd.len;
		if (n == 0 && !fin)
			break;
		if (n > 0 && n < c->mss && !fin) {
			/* Nagle (RFC 896): one small segment in flight at most. */
			if (!c->nodelay && c->snd_nxt != c->snd_una && n == avail)
				break;
			/* Sender SWS avoidance: a window-limited sliver waits for more room. */
			if (n < avail && n < c->max_snd_wnd / 2)
				break;
		}
		if (n > 0 && n == avail)
			flags |= TCP_PSH;
		if (fin)
			flags |= TCP_FIN;
		if (!c->ts_ok && !c->rtt_ts && c->snd_nxt == c->snd_max && n) {
			/* Time one segment per RTT (Karn: only new data). */
			c->rtt_seq = c->snd_nxt;
			c->rtt_ts = vh_now(c->st);
		}
		if (seq_lt(c->snd_nxt, c->snd_max))
			c->st->tcp.stats.retrans_segs++;
		if (tcp_send_segment(c, flags, c->snd_nxt, n) == -ENOBUFS)
			break;
		c->snd_nxt += n + (fin ? 1 : 0);
		c->snd_max = seq_max(c->snd_max, c->snd_nxt);
		if (fin)
			c->fin_sent = true;
		if (!vh_timer_pending(&c->t_rtx) || c->persist)
			tcp_rearm_rtx(c);
		if (fin)
			break;
	}
	/* RFC 9293 §3.8.6.1: data waits behind a zero window: probe it. */
	if (c->snd_wnd == 0 && c->snd.len > c->snd_nxt - c->snd_una && c->snd_una == c->snd_max &&
	    !vh_timer_pending(&c->t_rtx)) {
		c->persist = true;
		c->retries = 0;
		vh_timer_arm(c->st, &c->t_rtx, c->rto);
	}
}
