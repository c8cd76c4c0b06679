/* tcp.h: TCP inside the stack (RFC 9293), shared by the files of src/tcp.
 *
 * Files: tcp.c (connection table, ISN, user calls), tcp_input.c (the segment
 * arrival state machine, RFC 9293 §3.10.7), tcp_output.c (segments, RSTs,
 * ACKs), tcp_timer.c (retransmission, persist, delayed ACK, keepalive,
 * TIME_WAIT), tcp_sack.c (interval sets for the SACK scoreboard and the
 * out-of-order map). TCP is split by RFC concern so each file stays
 * readable; every piece of per-connection state lives in struct tcp_conn.
 *
 * Memory: a connection's send and receive rings are its only buffers. Data
 * that arrives out of order is written straight into the receive ring at
 * its offset and remembered as an interval, so the out-of-order "queue" is
 * bounded by the receive window itself and never pins packet buffers. A
 * half-open connection (SYN_RECEIVED) has no rings at all: a SYN flood costs
 * a fixed small struct per entry, and the SYN queue evicts its oldest. */
#ifndef VH_TCP_H
#define VH_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "timer.h"
#include "wire/tcp.h"

struct vh_stack;
struct ipv4_rx;

#define TCP_CONN_MAX 16384       /* connections of every state, per stack */
#define TCP_HASH_SIZE 16384      /* buckets of the 4-tuple table (power of two) */
#define TCP_BUF_DEFAULT (256u * 1024)
#define TCP_BUF_MIN 4096u
#define TCP_BUF_MAX (4u * 1024 * 1024)
#define TCP_BACKLOG_MAX 4096
#define TCP_SYNQ_MIN 64          /* half-open entries a listener may hold at least */
#define TCP_IVS_MAX 16           /* intervals in the OOO map and the SACK scoreboard */
#define TCP_MSL_NS (30 * VH_SEC) /* TIME_WAIT lasts 2 MSL = 60 s */
#define TCP_RTO_MIN_NS (200 * VH_MS)
#define TCP_RTO_MAX_NS (60 * VH_SEC)
#define TCP_RTO_INIT_NS (1 * VH_SEC) /* RFC 6298 §2.1 */
#define TCP_DELACK_NS (40 * VH_MS)
#define TCP_SYN_RETRIES 6
#define TCP_DATA_RETRIES 15
#define TCP_FIN_WAIT2_NS (60 * VH_SEC)
#define TCP_CHALLENGE_PER_SEC 1000 /* RFC 5961 §7: a global limit on challenge ACKs */
#define TCP_EPHEMERAL_LO 49152
#define TCP_EPHEMERAL_HI 65535

enum tcp_fsm {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

/* Sequence arithmetic modulo 2^32 (RFC 9293 §3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
#define seq_gt(a, b) seq_lt((b), (a))
#define seq_ge(a, b) seq_le((b), (a))
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

/* A set of disjoint, sorted, non-adjacent sequence intervals [start, end). */
struct tcp_ivs {
	uint8_t n;
	uint8_t last;            /* index most recently grown (first SACK block, RFC 2018 §4) */
	struct wire_tcp_sack iv[TCP_IVS_MAX];
};
/* Add [s, e). When the set is full the interval farthest in sequence space is
 * dropped (it is the least useful). Returns false if nothing was added. */
bool tcp_ivs_add(struct tcp_ivs *v, uint32_t s, uint32_t e);
/* Forget everything below `seq`; an interval straddling it is cut. */
void tcp_ivs_trim(struct tcp_ivs *v, uint32_t seq);
/* If an interval starts at or before seq, remove it and return its end (else seq). */
uint32_t tcp_ivs_pop_at(struct tcp_ivs *v, uint32_t seq);
/* True when [s, e) lies entirely inside one interval. */
bool tcp_ivs_covers(const struct tcp_ivs *v, uint32_t s, uint32_t e);
/* Bytes held in the set. */
uint32_t tcp_ivs_bytes(const struct tcp_ivs *v);

/* A byte ring. */
struct tcp_ring {
	uint8_t *buf;
	uint32_t size, head, len;
};

struct tcp_conn;
/* The owner (a socket) learns that something changed: data, space, state. */
typedef void (*tcp_event_fn)(void *user, struct tcp_conn *c);

struct tcp_conn {
	struct tcp_conn *hnext;      /* hash chain */
	struct tcp_conn *qnext;      /* listener's SYN or accept queue, or the TIME_WAIT list */
	struct tcp_conn *qprev;
	struct tcp_conn *listener;   /* while queued on one */
	struct vh_stack *st;
	enum tcp_fsm state;
	uint32_t laddr, raddr;       /* network order */
	uint16_t lport, rport;       /* host order */
	bool hashed, tw_listed;
	uint8_t lq;                  /* 1: on a listener's SYN queue, 2: on its accept queue */

	/* Send sequence space (RFC 9293 §3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
	uint32_t snd_wnd, max_snd_wnd;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;                /* payload per segment we send, options excluded */
	uint16_t peer_mss;
	uint16_t mss_local;          /* what we announce: the route's MTU - 40 */
	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge last advertised */
	uint32_t fin_seq;            /* peer's FIN when it arrived out of order */
	bool fin_pending;

	/* Options in use. */
	bool ts_ok, sack_ok, ws_ok;
	uint32_t ts_recent, ts_offset, last_ack_sent;

	/* Buffers. */
	struct tcp_ring snd, rcv;
	uint32_t sndbuf, rcvbuf;     /* sizes to allocate */
	struct tcp_ivs ooo;          /* received above rcv_nxt */
	struct tcp_ivs sacked;       /* scoreboard: peer holds these above snd_una */
	bool fin_queued;             /* user closed its side: a FIN follows the data */
	bool fin_sent;

	/* Congestion control (RFC 5681, RFC 6582) and RTT (RFC 6298). */
	uint32_t cwnd, ssthresh, recover, rtx_next;
	uint32_t rtx_mark;           /* SND.MAX when the hole at SND.UNA was last resent */
	unsigned dupacks;
	bool in_recovery;
	uint64_t srtt, rttvar, rto;  /* ns */
	uint32_t rtt_seq;
	uint64_t rtt_ts;             /* when rtt_seq was sent; 0: not timing */
	unsigned retries;
	unsigned acks_pending;       /* full segments received since our last ACK */

	/* Timers. */
	struct vh_timer t_rtx;       /* retransmission, SYN retry, or persist */
	struct vh_timer t_delack;
	struct vh_timer t_keep;      /* keepalive, FIN_WAIT_2 and TIME_WAIT */
	bool persist;                /* t_rtx is the persist timer */
	unsigned keep_probes;
	uint64_t last_rx;

	/* Socket options. */
	bool nodelay, keepalive;
	uint32_t keep_idle_s, keep_intvl_s, keep_cnt;

	/* Listener. */
	unsigned backlog, synq_len, acceptq_len;
	struct tcp_conn *synq_head, *synq_tail, *acceptq_head, *acceptq_tail;

	/* Owner. */
	void *user;
	tcp_event_fn event;
	int error;                   /* pending error for the user: -ECONNRESET... */
	bool detached;               /* the user closed it: free when done */
};

struct tcp_stats {
	uint64_t active_opens, passive_opens, attempt_fails, estab_resets, curr_estab;
	uint64_t in_segs, out_segs, retrans_segs, in_errs, out_rsts;
	uint64_t fast_retrans, rto_timeouts, sack_retrans, dup_acks, ooo_segs, ooo_dropped;
	uint64_t challenge_acks, paws_drops, synq_evictions, acceptq_drops, tw_recycled;
	uint64_t persist_probes, keepalive_probes, delayed_acks, conns_freed;
};

struct tcp_state {
	struct tcp_conn **hash;      /* every connection with a 4-tuple, and listeners */
	unsigned count;              /* allocated connections */
	uint8_t isn_key[16];         /* RFC 6528 secret */
	uint16_t next_port;
	struct tcp_conn *tw_head, *tw_tail; /* TIME_WAIT, oldest first: recycled when full */
	uint64_t chal_at;
	unsigned chal_tokens;
	struct tcp_stats stats;
};

void tcp_init(struct vh_stack *st);
void tcp_fini(struct vh_stack *st);

/* tcp.c */
struct tcp_conn *tcp_conn_new(struct vh_stack *st);
void tcp_conn_free(struct tcp_conn *c);
struct tcp_conn *tcp_lookup(struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			    uint16_t rport);
int tcp_hash_add(struct tcp_conn *c);
void tcp_hash_del(struct tcp_conn *c);
uint32_t tcp_isn(struct vh_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport);
int tcp_alloc_bufs(struct tcp_conn *c);
void tcp_set_state(struct tcp_conn *c, enum tcp_fsm s);
/* The connection is finished (CLOSED): tell the owner, or free it if it has none. */
void tcp_done(struct tcp_conn *c, int err);
void tcp_notify(struct tcp_conn *c);
uint32_t tcp_rcv_window(const struct tcp_conn *c);
void tcp_tw_enter(struct tcp_conn *c);
/* Unlink a child from its listener's SYN or accept queue. */
void tcp_listener_unlink(struct tcp_conn *c);
const char *tcp_state_name(enum tcp_fsm s);

/* tcp_input.c */
void tcp_input(struct vh_stack *st, struct vh_pkt *pkt, const struct ipv4_rx *rx);

/* tcp_output.c */
/* Send what the windows, Nagle and the state allow. */
void tcp_output(struct tcp_conn *c);
/* Send one segment: flags, seq, and len bytes of data from the send ring at seq. */
int tcp_send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t len);
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_challenge_ack(struct tcp_conn *c);
/* RST in reply to a segment that has no connection (RFC 9293 §3.10.7.1). */
void tcp_send_reset_reply(struct vh_stack *st, const struct ipv4_rx *rx, const struct wire_tcp *t);
void tcp_send_rst(struct tcp_conn *c);
uint32_t tcp_ts_now(const struct tcp_conn *c);
/* A retransmission after loss: first hole not SACKed. */
void tcp_retransmit_hole(struct tcp_conn *c);

/* tcp_timer.c */
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_cancel(struct tcp_conn *c);
void tcp_rearm_rtx(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt_ns);
void tcp_delack_arm(struct tcp_conn *c);
void tcp_keep_reset(struct tcp_conn *c);

/* Ring helpers (tcp.c). */
void tcp_ring_read(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
void tcp_ring_write(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);

#endif
