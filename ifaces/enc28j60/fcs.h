/* fcs.h: the Ethernet frame check sequence, a CRC-32 (IEEE 802.3 §3.2.9).
 *
 * The ENC28J60 appends and checks it in hardware (DS39662E §5.1.7, §8); the
 * simulator computes what the chip would, and the driver checks it again
 * after reading a frame over SPI, where a flipped bit would otherwise pass
 * unseen. The FCS goes on the wire least significant byte first. */
#ifndef VH_ENC28J60_FCS_H
#define VH_ENC28J60_FCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t enc_fcs(const uint8_t *p, size_t n);

/* Whether the last four of n bytes are the FCS of the ones before. */
bool enc_fcs_ok(const uint8_t *p, size_t n);

#endif
