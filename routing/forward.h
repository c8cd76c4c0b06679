/* forward.h: IPv4 forwarding between NICs (RFC 1812). */
#ifndef VH_FORWARD_H
#define VH_FORWARD_H

struct vh_stack;
/* Hook forwarding into the IPv4 layer; it acts only while forwarding is on. */
void fwd_init(struct vh_stack *st);

#endif
