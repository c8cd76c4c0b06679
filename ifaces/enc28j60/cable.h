/* cable.h: a vhost NIC as the simulated chip's Ethernet cable.
 *
 * Used by the sim= NIC in vhost and by enc28j60-sim: the NIC (normally a
 * TAP) is made with vh_nic_create() and never registered with a stack, so
 * what it receives goes to the chip (enc_sim_wire_rx, through the NIC's
 * input hook) and what the chip transmits goes out on it. Whoever owns the
 * cable polls the NIC's fd and calls its poll op. */
#ifndef VH_ENC28J60_CABLE_H
#define VH_ENC28J60_CABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "vh.h"

struct vh_dev;
struct vh_stack;
struct enc_sim;

struct enc_cable {
	struct vh_dev *nic;
	struct enc_sim *sim;
	bool open;
	uint64_t tx_fail; /* frames the chip sent that the NIC did not take */
};

/* Make the NIC from text ("tap:tap7" or a NIC spec); nothing is opened.
 * Errors name what is wrong in err. */
int enc_cable_new(struct vh_stack *st, const char *text, struct enc_cable *ret,
		  struct vh_err *err);
/* Open the NIC and plug it into sim, both ways. */
int enc_cable_plug(struct enc_cable *c, struct enc_sim *sim, struct vh_err *err);
/* Unplug from the chip and close the NIC; it can be plugged again. */
void enc_cable_unplug(struct enc_cable *c);
/* Unplug, and free the NIC. */
void enc_cable_free(struct enc_cable *c);

#endif
