/* tapcopy: the trivial frame copier between two TAPs, one frame per system
 * call each way. It is the ceiling for any TAP-based forwarder that moves one
 * frame per read and write, and the yardstick the router benchmark compares
 * vhost against. Usage: tapcopy TAP1 TAP2 (until killed). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	struct pollfd p[2];

	if (argc != 3) {
		fprintf(stderr, "usage: tapcopy TAP1 TAP2\n");
		return 2;
	}
	for (int i = 0; i < 2; i++) {
		p[i].fd = tap_open(argv[1 + i]);
		p[i].events = POLLIN;
		if (p[i].fd < 0) {
			fprintf(stderr, "tapcopy: %s: %s\n", argv[1 + i], strerror(errno));
			return 2;
		}
	}
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			/* Drain what is there: read one, write one. */
			for (;;) {
				ssize_t n = read(p[i].fd, buf, sizeof(buf));
				if (n <= 0)
					break;
				if (write(p[1 - i].fd, buf, (size_t)n) < 0) {
					/* A full queue on the other side drops the frame, as a NIC would. */
				}
			}
		}
	}
}
