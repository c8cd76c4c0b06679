/* gpio.c: request one GPIO line for falling-edge events (gpio.h). The only
 * file of the driver that talks to /dev/gpiochip*. */
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "gpio.h"
#include "log.h"

int enc_gpio_open(const char *spec, int *ret_fd, struct vh_err *err)
{
	struct gpio_v2_line_request req;
	const char *colon = strrchr(spec, ':');
	char path[64], *end;
	unsigned long line;
	int chip, r;

	if (!colon || colon == spec) /* both the chip and the line are needed */
		return vh_err_set(err, EINVAL, "irq=%s: expected gpiochipN:LINE", spec);
	errno = 0;
	line = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || line > 0xffff) /* a line offset on that chip */
		return vh_err_set(err, EINVAL, "irq=%s: LINE must be a line number", spec);
	/* "gpiochip0" names /dev/gpiochip0; a path is taken as it is */
	snprintf(path, sizeof(path), "%s%.*s", spec[0] == '/' ? "" : "/dev/", (int)(colon - spec),
		 spec);
	chip = open(path, O_RDONLY | O_CLOEXEC);
	if (chip < 0) {
		r = -errno;
		return vh_err_set(err, r, "irq=%s: cannot open %s: %s", spec, path, strerror(-r));
	}
	memset(&req, 0, sizeof(req));
	req.offsets[0] = (uint32_t)line;
	req.num_lines = 1;
	req.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_FALLING;
	snprintf(req.consumer, sizeof(req.consumer), "vhost-enc28j60");
	r = ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0 ? -errno : 0;
	close(chip);
	if (r < 0)
		return vh_err_set(err, r, "irq=%s: cannot request line %lu for falling edges%s: %s",
				  spec, line, r == -EBUSY ? " (another program holds it)" : "",
				  strerror(-r));
	/* the request fd is drained in a poll loop: reads must not block */
	if (fcntl(req.fd, F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(req.fd);
		return vh_err_set(err, r, "irq=%s: %s", spec, strerror(-r));
	}
	*ret_fd = req.fd;
	return 0;
}

int enc_gpio_drain(int fd)
{
	struct gpio_v2_line_event ev[16];
	int n = 0;

	for (;;) {
		ssize_t r = read(fd, ev, sizeof(ev));

		if (r <= 0)
			return n;
		n += (int)((size_t)r / sizeof(ev[0]));
	}
}
