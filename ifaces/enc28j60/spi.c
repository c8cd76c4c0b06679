/* spi.c: the three SPI transports of spi.h. The system calls live here and
 * nowhere else in the driver, so tests swap the bus for a simulator.
 *
 * spidev (Documentation/spi/spidev.rst, include/uapi/linux/spi/spidev.h):
 * one SPI_IOC_MESSAGE(1) is one spi_sync() with CS held for the whole
 * transfer and released after it, which is exactly an ENC28J60 instruction
 * window (DS39662E §4.2). The chip samples on the rising edge with the clock
 * idle low: SPI mode 0 (§4.1). */
#include <errno.h>
#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sim.h"
#include "spi.h"

/* ---- spidev ------------------------------------------------------------ */

struct spidev {
	struct enc_spi spi;
	int fd;
	uint32_t hz;
};

static int spidev_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	struct spidev *d = (struct spidev *)spi;
	struct spi_ioc_transfer t;

	if (n > ENC_SPI_MAX_XFER) /* spidev refuses more than its buffer */
		return -EMSGSIZE;
	memset(&t, 0, sizeof(t)); /* spidev.h: zero what you do not set */
	t.tx_buf = (uintptr_t)mosi; /* 0: the controller clocks out zeros */
	t.rx_buf = (uintptr_t)miso;
	t.len = (uint32_t)n;
	t.speed_hz = d->hz;
	t.bits_per_word = 8;
	if (ioctl(d->fd, SPI_IOC_MESSAGE(1), &t) < 0)
		return -errno;
	return 0;
}

static void spidev_close(struct enc_spi *spi)
{
	struct spidev *d = (struct spidev *)spi;

	close(d->fd);
	free(d);
}

int enc_spi_open_spidev(const char *path, uint32_t speed_hz, struct enc_spi **ret_spi,
			struct vh_err *err)
{
	uint8_t mode = SPI_MODE_0, bits = 8;
	struct spidev *d;
	int fd, r;

	if (!speed_hz)
		speed_hz = ENC_SPI_MAX_HZ;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return vh_err_set(err, r, "%s: no such SPI device (is spidev bound? on a "
						  "Raspberry Pi: dtparam=spi=on)", path);
		return vh_err_set(err, r, "%s: cannot open: %s", path, strerror(-r));
	}
	if (ioctl(fd, SPI_IOC_WR_MODE, &mode) < 0 ||
	    ioctl(fd, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0 ||
	    ioctl(fd, SPI_IOC_WR_MAX_SPEED_HZ, &speed_hz) < 0) {
		r = -errno;
		close(fd);
		return vh_err_set(err, r, "%s: not an SPI device, or it refuses mode 0 / 8 bits / "
					  "%u Hz: %s", path, speed_hz, strerror(-r));
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return vh_err_set(err, ENOMEM, "out of memory");
	}
	d->spi = (struct enc_spi){.xfer = spidev_xfer, .close = spidev_close, .kind = "spidev"};
	d->fd = fd;
	d->hz = speed_hz;
	*ret_spi = &d->spi;
	return 0;
}

/* ---- the simulator over a UNIX socket ------------------------------------ */

struct unixspi {
	struct enc_spi spi;
	int fd; /* -1 after a failure: reconnect on the next transfer */
	struct sockaddr_un sa;
	uint8_t zeros[256];
};

static int unix_connect(struct unixspi *u)
{
	struct timeval tv = {.tv_sec = ENC_SPI_UNIX_TIMEOUT_MS / 1000,
			     .tv_usec = (ENC_SPI_UNIX_TIMEOUT_MS % 1000) * 1000};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	/* a simulator that stops answering must not hang the driver */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&u->sa, sizeof(u->sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	u->fd = fd;
	return 0;
}

static int unix_send(int fd, struct iovec *iov, int niov)
{
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)niov};

	while (m.msg_iovlen) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		/* step over what went out */
		while (m.msg_iovlen && (size_t)w >= m.msg_iov->iov_len) {
			w -= (ssize_t)m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + w;
			m.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int unix_recv(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (r == 0) /* the simulator went away */
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int unix_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	struct unixspi *u = (struct unixspi *)spi;
	uint8_t hdr[2] = {(uint8_t)(n >> 8), (uint8_t)n}, sink[256];
	struct iovec iov[1 + ENC_SPI_MAX_XFER / sizeof(u->zeros)];
	int niov = 0, r;

	if (n == 0 || n > ENC_SPI_MAX_XFER) /* the framing has no empty window */
		return n ? -EMSGSIZE : 0;
	if (u->fd < 0 && (r = unix_connect(u)) < 0)
		return r;
	iov[niov++] = (struct iovec){hdr, 2};
	if (mosi) {
		iov[niov++] = (struct iovec){(void *)mosi, n};
	} else {
		for (size_t left = n; left; niov++) {
			size_t k = left < sizeof(u->zeros) ? left : sizeof(u->zeros);

			iov[niov] = (struct iovec){u->zeros, k};
			left -= k;
		}
	}
	r = unix_send(u->fd, iov, niov);
	if (r == 0 && miso)
		r = unix_recv(u->fd, miso, n);
	for (size_t left = n; r == 0 && !miso && left;) {
		size_t k = left < sizeof(sink) ? left : sizeof(sink);

		r = unix_recv(u->fd, sink, k);
		left -= k;
	}
	if (r < 0) {
		/* the stream may be out of step now: start over next time */
		close(u->fd);
		u->fd = -1;
	}
	return r;
}

static void unix_close(struct enc_spi *spi)
{
	struct unixspi *u = (struct unixspi *)spi;

	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

int enc_spi_open_unix(const char *path, struct enc_spi **ret_spi, struct vh_err *err)
{
	struct unixspi *u;
	int r;

	if (strlen(path) >= sizeof(u->sa.sun_path)) /* must fit sun_path with its NUL */
		return vh_err_set(err, ENAMETOOLONG, "unix:%s: socket path too long", path);
	u = calloc(1, sizeof(*u));
	if (!u)
		return vh_err_set(err, ENOMEM, "out of memory");
	u->spi = (struct enc_spi){.xfer = unix_xfer, .close = unix_close, .kind = "unix"};
	u->sa.sun_family = AF_UNIX;
	strcpy(u->sa.sun_path, path);
	r = unix_connect(u);
	if (r < 0) {
		free(u);
		return vh_err_set(err, r, "unix:%s: cannot reach the simulator (is enc28j60-sim "
					  "running?): %s", path, strerror(-r));
	}
	*ret_spi = &u->spi;
	return 0;
}

/* ---- the simulator in this process ---------------------------------------- */

struct simspi {
	struct enc_spi spi;
	struct enc_sim *sim;
};

static int sim_xfer(struct enc_spi *spi, const uint8_t *mosi, uint8_t *miso, size_t n)
{
	enc_sim_transfer(((struct simspi *)spi)->sim, mosi, miso, n);
	return 0;
}

static void sim_close(struct enc_spi *spi)
{
	free(spi);
}

int enc_spi_open_sim(struct enc_sim *sim, struct enc_spi **ret_spi)
{
	struct simspi *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->spi = (struct enc_spi){.xfer = sim_xfer, .close = sim_close, .kind = "sim"};
	s->sim = sim;
	*ret_spi = &s->spi;
	return 0;
}

void enc_spi_close(struct enc_spi *spi)
{
	if (spi)
		spi->close(spi);
}
