// SPDX-License-Identifier: GPL-2.0
/* user/serve/listen.c: --listen's address, see listen.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "serve/listen.h"

/* 1 to 65535, digits only. */
static int parse_port(const char *s, in_port_t *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	*out = htons((in_port_t)v);
	return 0;
}

int listen_addr_parse(const char *s, struct listen_addr *out)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (!strchr(s, ':')) {			/* a bare port: loopback */
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (parse_port(s, &in4->sin_port))
			return -EINVAL;
		out->len = sizeof(*in4);
		snprintf(out->text, sizeof(out->text), "127.0.0.1:%s", s);
		return 0;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		port = close + 2;
		in6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1 ||
		    parse_port(port, &in6->sin6_port))
			return -EINVAL;
		out->len = sizeof(*in6);
		snprintf(out->text, sizeof(out->text), "[%s]:%s", host, port);
		return 0;
	}
	colon = strchr(s, ':');
	if (strchr(colon + 1, ':'))		/* IPv6 wants its brackets */
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	port = colon + 1;
	in4->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1 || parse_port(port, &in4->sin_port))
		return -EINVAL;
	out->len = sizeof(*in4);
	snprintf(out->text, sizeof(out->text), "%s:%s", host, port);
	return 0;
}

int listen_addr_bind(const struct listen_addr *a)
{
	int fd, one = 1, err;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a restart right after a stop: the old connections' TIME_WAIT
	 * does not hold the port (a listener still does)
	 */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
