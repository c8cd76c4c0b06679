/* sock.h: the socket layer's slice of struct vh_stack. */
#ifndef VH_SOCK_H
#define VH_SOCK_H

#include <pthread.h>
#include <stdint.h>

struct vh_sock;
struct vh_stack;

struct sock_state {
	struct vh_sock **tab;    /* descriptor -> socket; worker only */
	unsigned used, hint;
	/* vh_poll sleepers: woken on any socket event of this stack. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t gen;
	unsigned waiters;
};

int sock_init(struct vh_stack *st);
void sock_fini(struct vh_stack *st);

#endif
