/* cable.c: a NIC plugged into a simulated ENC28J60 (cable.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "ifaces/registry.h"
#include "log.h"
#include "pkt.h"
#include "spec.h"

#include "cable.h"
#include "nic.h"
#include "sim.h"

/* The NIC received a frame: it arrives at the chip as from a cable. */
static void cable_input(void *arg, struct vh_dev *nic, struct vh_pkt *pkt)
{
	struct enc_cable *c = arg;

	(void)nic;
	enc_sim_wire_rx(c->sim, pkt->data, pkt->len); /* the chip counts what it drops */
	vh_pkt_free(pkt);
}

/* The chip transmitted a frame: out it goes on the NIC. */
static void cable_output(void *arg, const uint8_t *frame, size_t len)
{
	struct enc_cable *c = arg;
	struct vh_pkt *p = vh_pkt_alloc(c->nic->stack, (uint32_t)len);

	if (!p) {
		c->tx_fail++;
		return;
	}
	memcpy(vh_pkt_put(p, (uint32_t)len), frame, len);
	if (c->nic->ops->transmit(c->nic, p) < 0) {
		c->tx_fail++;
		return;
	}
	c->nic->stats.tx_packets++;
	c->nic->stats.tx_bytes += len;
}

int enc_cable_new(struct vh_stack *st, const char *text, struct enc_cable *ret,
		  struct vh_err *err)
{
	struct enc_cable c;
	struct vh_spec spec;
	struct vh_dev *nic;
	char buf[sizeof(spec.buf)];
	int r;

	if (enc_wire_spec(text, buf, sizeof(buf)) < 0)
		return vh_err_set(err, EINVAL, "cable '%s' is not a NIC such as tap:NAME", text);
	r = vh_spec_parse(buf, &spec, err);
	if (r < 0)
		return r;
	r = vh_nic_create(st, &spec, &nic, err);
	if (r < 0)
		return r;
	c = (struct enc_cable){.nic = nic};
	r = vh_spec_check_unused(&spec, err); /* a cable carries no addresses */
	if (r < 0) {
		enc_cable_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int enc_cable_plug(struct enc_cable *c, struct enc_sim *sim, struct vh_err *err)
{
	int r = c->nic->ops->open ? c->nic->ops->open(c->nic, err) : 0;

	if (r < 0)
		return r;
	c->open = true;
	c->sim = sim;
	c->nic->input_hook = cable_input;
	c->nic->input_hook_arg = c;
	enc_sim_set_wire_tx(sim, cable_output, c);
	return 0;
}

void enc_cable_unplug(struct enc_cable *c)
{
	if (c->sim)
		enc_sim_set_wire_tx(c->sim, NULL, NULL);
	c->sim = NULL;
	if (c->open && c->nic->ops->close)
		c->nic->ops->close(c->nic);
	c->open = false;
	if (c->nic)
		c->nic->input_hook = NULL;
}

void enc_cable_free(struct enc_cable *c)
{
	if (!c->nic)
		return;
	enc_cable_unplug(c);
	/* never registered: ours to free, as vh_nic_create() says */
	if (c->nic->ops->destroy)
		c->nic->ops->destroy(c->nic);
	free(c->nic);
	memset(c, 0, sizeof(*c));
}
