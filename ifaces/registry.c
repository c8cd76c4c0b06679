/* registry.c: the table of NIC drivers. A driver that is not built appears
 * nowhere; one that is built but unusable here says why when created. */
#include <errno.h>
#include <string.h>

#include "ifaces/drivers.h"
#include "ifaces/registry.h"
#include "spec.h"

static const struct vh_driver *const drivers[] = {
	&vh_driver_tap,
	&vh_driver_loopback,
	&vh_driver_null,
#ifdef VH_HAVE_ENC28J60
	&vh_driver_enc28j60,
#endif
#ifdef VH_HAVE_PFPACKET
	&vh_driver_pfpacket,
#endif
#ifdef VH_HAVE_PCAP
	&vh_driver_pcap,
#endif
	NULL,
};

const struct vh_driver *const *vh_drivers(void)
{
	return drivers;
}

const struct vh_driver *vh_driver_by_kind(const char *kind)
{
	for (unsigned i = 0; drivers[i]; i++)
		if (!strcmp(drivers[i]->kind, kind))
			return drivers[i];
	return NULL;
}

const struct vh_driver *vh_driver_for_name(const char *name)
{
	const struct vh_driver *best = NULL;

	/* Longest prefix wins, so "lo" does not claim a future "loop" kind. */
	for (unsigned i = 0; drivers[i]; i++) {
		size_t n;
		if (!drivers[i]->prefix)
			continue; /* only by type= */
		n = strlen(drivers[i]->prefix);
		if (!strncmp(name, drivers[i]->prefix, n) && (!best || n > strlen(best->prefix)))
			best = drivers[i];
	}
	return best;
}

int vh_nic_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		  struct vh_err *err)
{
	const char *type = vh_spec_get(spec, "type");
	const struct vh_driver *drv = type ? vh_driver_by_kind(type) : vh_driver_for_name(spec->name);

	if (!drv) {
		if (type)
			return vh_err_set(err, EINVAL, "'%s': unknown NIC type '%s'", spec->text, type);
		return vh_err_set(err, EINVAL,
				  "'%s': cannot tell the NIC kind from the name '%s'; name it tapN, "
				  "loN, nullN%s or add type=",
				  spec->text, spec->name,
#ifdef VH_HAVE_ENC28J60
				  ", spiN"
#else
				  ""
#endif
		);
	}
	return drv->create(st, spec, ret, err);
}
