/* user/serve/listen.h: the address --listen names, and its socket.
 *
 *   "9464"            127.0.0.1, port 9464 (loopback unless told otherwise)
 *   "0.0.0.0:9464"    any numeric IPv4 address
 *   "[::1]:9464"      any numeric IPv6 address, in brackets
 *
 * Ports go from 1 to 65535; host names are refused (what a name resolves
 * to can change under a long run; say the address).
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[64];		/* "127.0.0.1:9464", "[::1]:9464" */
};

/* 0, or -EINVAL for anything but the forms above. */
int listen_addr_parse(const char *s, struct listen_addr *out);

/* A listening TCP socket on a (close-on-exec, non-blocking): the fd, or
 * -errno (-EADDRINUSE: another program has the port).
 */
int listen_addr_bind(const struct listen_addr *a);

#endif /* LISTEN_H */
