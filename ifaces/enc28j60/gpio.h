/* gpio.h: the ENC28J60's INT pin through the GPIO character device.
 *
 * INT is active low and meant for falling-edge detection (DS39662E §12.0):
 * it stays low while any enabled flag is set, so the driver clears
 * EIE.INTIE while it works and sets it again at the end to get a fresh edge.
 * The line is requested with the v2 uAPI (linux/gpio.h,
 * GPIO_V2_GET_LINE_IOCTL) for falling edges; the request fd becomes readable
 * when an edge was latched, and drops straight into a poll() set. */
#ifndef VH_ENC28J60_GPIO_H
#define VH_ENC28J60_GPIO_H

#include "vh.h"

/* spec is "gpiochipN:LINE" (or "/dev/gpiochipN:LINE"). Returns the
 * non-blocking request fd in *ret_fd. 0 or -errno with err filled. */
int enc_gpio_open(const char *spec, int *ret_fd, struct vh_err *err);
/* Read every latched edge event; returns how many there were. */
int enc_gpio_drain(int fd);

#endif
