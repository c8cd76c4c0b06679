/* twostacks: two independent stacks in one process, one NIC each, until
 * SIGTERM. The host test pings both from two namespaces and checks that
 * neither answers for the other's address. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vh.h"

int main(int argc, char **argv)
{
	struct vh_stack *st[2] = {0};
	struct vh_stack_config cfg;
	struct vh_err err = {{0}};
	sigset_t sigs;
	int sig, rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: twostacks SPEC1 SPEC2\n");
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	for (int i = 0; i < 2; i++) {
		vh_stack_config_init(&cfg);
		cfg.name = i ? "B" : "A";
		if (vh_stack_new(&cfg, &st[i]) < 0 || vh_stack_add_nic(st[i], argv[1 + i], NULL, &err) < 0 ||
		    vh_stack_start(st[i]) < 0) {
			fprintf(stderr, "twostacks: stack %d: %s\n", i, err.msg);
			rc = 2;
			goto out;
		}
	}
	sigwait(&sigs, &sig);
out:
	for (int i = 0; i < 2; i++)
		vh_stack_free(st[i]);
	return rc;
}
