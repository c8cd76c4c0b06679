/* services.h: built-in services of vhost (echo, discard, chargen, http), each
 * a thread on the public socket API (vh_socket.h). */
#ifndef VH_SERVICES_H
#define VH_SERVICES_H

#include "vh.h"

struct services;

/* Parse one --service argument: NAME[:PORT][,root=DIR]. Errors go in err. */
int services_add(struct services **svs, const char *spec, struct vh_err *err);
/* Start every service on st (after the stack started): listen and serve. */
int services_start(struct services *svs, struct vh_stack *st, struct vh_err *err);
/* Stop the threads, close every socket, free. NULL is fine. */
void services_free(struct services *svs);

#endif
