/* lwip-host.c: a minimal host on Debian's lwIP (liblwip-dev 2.1.3) for the
 * TCP benchmark: one TAP of our own, a discard server on port 9 and a
 * source of bytes on port 19, on lwIP's raw API in its tcpip thread.
 *
 *   lwip-host TAPNAME A.B.C.D
 *
 * The TAP glue is ours: the packaged tapif corrupts its heap on frames over
 * 592 bytes. Frames are read by one thread and handed to tcpip_input; lwIP
 * sends through linkoutput, which writes the whole pbuf chain as one frame.
 * Only for measurement: no error recovery beyond what a benchmark needs. */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

static int tap_fd = -1;
static struct netif nif;
static ip4_addr_t addr, mask, gw;
static uint8_t pattern[TCP_MSS * 4];

static err_t tap_linkoutput(struct netif *n, struct pbuf *p)
{
	uint8_t frame[1600];
	(void)n;
	if (p->tot_len > sizeof(frame))
		return ERR_BUF;
	pbuf_copy_partial(p, frame, p->tot_len, 0);
	if (write(tap_fd, frame, p->tot_len) < 0)
		return ERR_IF;
	return ERR_OK;
}

static err_t tap_netif_init(struct netif *n)
{
	static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x1f, 0x01};
	n->name[0] = 't', n->name[1] = 'p';
	n->output = etharp_output;
	n->linkoutput = tap_linkoutput;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

static void *reader(void *arg)
{
	uint8_t buf[2048];
	(void)arg;
	for (;;) {
		ssize_t len = read(tap_fd, buf, sizeof(buf));
		struct pbuf *p;
		if (len <= 0)
			continue;
		/* PBUF_RAM: one contiguous buffer; chained pool pbufs of this build misbehave. */
		p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!p)
			continue;
		pbuf_take(p, buf, (u16_t)len);
		if (nif.input(p, &nif) != ERR_OK)
			pbuf_free(p);
	}
	return NULL;
}

/* Both servers: take what comes, open the window again, close on FIN. */
static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg, (void)err;
	if (!p) {
		tcp_sent(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_close(pcb);
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t discard_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg, (void)err;
	tcp_recv(pcb, discard_recv);
	return ERR_OK;
}

/* source: keep the send buffer full. */
static void source_fill(struct tcp_pcb *pcb)
{
	while (tcp_sndbuf(pcb) >= TCP_MSS)
		if (tcp_write(pcb, pattern, TCP_MSS, 0) != ERR_OK)
			break;
	tcp_output(pcb);
}

static err_t source_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg, (void)len;
	source_fill(pcb);
	return ERR_OK;
}

static err_t source_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg, (void)err;
	tcp_sent(pcb, source_sent);
	tcp_recv(pcb, discard_recv);
	source_fill(pcb);
	return ERR_OK;
}

static void listen_on(u16_t port, tcp_accept_fn fn)
{
	struct tcp_pcb *pcb = tcp_new();
	tcp_bind(pcb, IP_ADDR_ANY, port);
	pcb = tcp_listen_with_backlog(pcb, 255);
	tcp_accept(pcb, fn);
}

static void setup(void *arg)
{
	(void)arg;
	netif_add(&nif, &addr, &mask, &gw, NULL, tap_netif_init, tcpip_input);
	netif_set_default(&nif);
	netif_set_up(&nif);
	listen_on(9, discard_accept);
	listen_on(19, source_accept);
}

int main(int argc, char **argv)
{
	struct ifreq ifr = {0};
	pthread_t t;

	if (argc != 3) {
		fprintf(stderr, "usage: lwip-host TAPNAME A.B.C.D\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)('a' + i % 26);
	tap_fd = open("/dev/net/tun", O_RDWR);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (tap_fd < 0 || ioctl(tap_fd, TUNSETIFF, &ifr) < 0) {
		perror("lwip-host: tap");
		return 1;
	}
	ip4addr_aton(argv[2], &addr);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	tcpip_init(setup, NULL);
	pthread_create(&t, NULL, reader, NULL);
	printf("lwip-host running\n");
	fflush(stdout);
	pause();
	return 0;
}
