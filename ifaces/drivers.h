/* drivers.h: each built driver's entry for the registry. */
#ifndef VH_IFACES_DRIVERS_H
#define VH_IFACES_DRIVERS_H

#include "ifaces/registry.h"

extern const struct vh_driver vh_driver_tap;
extern const struct vh_driver vh_driver_loopback;
extern const struct vh_driver vh_driver_null;
extern const struct vh_driver vh_driver_enc28j60;
extern const struct vh_driver vh_driver_pfpacket;
extern const struct vh_driver vh_driver_pcap;

#endif
