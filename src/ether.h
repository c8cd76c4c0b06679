/* ether.h: the Ethernet layer of the stack: demultiplex by EtherType, frame output. */
#ifndef VH_ETHER_H
#define VH_ETHER_H

#include <stdint.h>

#include "dev.h"

extern const uint8_t vh_ether_bcast[6];

/* Worker: a received frame (consumes pkt). */
void ether_input(struct vh_dev *dev, struct vh_pkt *pkt);
/* Worker: prepend the header and send (consumes pkt). */
int ether_output(struct vh_dev *dev, struct vh_pkt *pkt, const uint8_t dst[6], uint16_t type);

#endif
