/* registry.h: the NIC drivers vhost knows, found by kind or by name prefix. */
#ifndef VH_IFACES_REGISTRY_H
#define VH_IFACES_REGISTRY_H

#include "vh.h"

struct vh_stack;
struct vh_dev;
struct vh_spec;

struct vh_driver {
	const char *kind;    /* "tap", "lo", ... as in type= */
	/* A NIC named PREFIXn is of this kind. NULL: only by type=, for drivers that
	 * take over a real Linux interface, so no typo or stray name ever does. */
	const char *prefix;
	const char *about;   /* one line for --help */
	/* Allocate (not register) a device from spec, taking the keys the driver knows.
	 * A reason the driver cannot be used (not built, no such file) goes in err. */
	int (*create)(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		      struct vh_err *err);
};

const struct vh_driver *vh_driver_by_kind(const char *kind);
const struct vh_driver *vh_driver_for_name(const char *name);
/* The drivers, for --help: NULL-terminated. */
const struct vh_driver *const *vh_drivers(void);

/* Create a device from a spec without registering it with the stack: for
 * drivers that stack on another NIC (the ENC28J60 simulator's wire). The
 * caller owns the result. Only NIC-specific keys are accepted. */
int vh_nic_create(struct vh_stack *st, struct vh_spec *spec, struct vh_dev **ret,
		  struct vh_err *err);

#endif
