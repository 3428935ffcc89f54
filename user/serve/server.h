/* user/serve/server.h: --listen's HTTP server (libmicrohttpd).
 *
 *   /debug/pprof/heap     the latest report as a pprof profile (export/pprof.h),
 *                         default sample type inuse_space
 *   /debug/pprof/allocs   the same profile, default sample type alloc_space
 *   /metrics              Prometheus text (export/metrics.h)
 *
 * Anything else is 404, a method other than GET or HEAD 405.  Serving
 * never waits on the collection: server__publish(), called by the run loop
 * after each report, renders the three pages into new buffers and swaps
 * them in under a short lock; a request takes a reference to the page of
 * the moment and sends it from MHD's one internal thread (epoll), which
 * never blocks on a client.  A page lives until its last response is sent.
 * Until the first report, the pprof pages answer 503 and /metrics has
 * memleakbpf's own series only.
 *
 * What a client can take is bounded: SERVER_MAX_CONNECTIONS at once,
 * SERVER_MAX_PER_IP from one address, SERVER_TIMEOUT_S without progress
 * ends a connection, SERVER_CONNECTION_MEMORY bytes per connection for
 * its request (a longer request line or header is refused with 414/431).
 */
#ifndef SERVER_H
#define SERVER_H

#include "report/model.h"
#include "serve/listen.h"

#define SERVER_MAX_CONNECTIONS 64
#define SERVER_MAX_PER_IP 16
#define SERVER_TIMEOUT_S 10
#define SERVER_CONNECTION_MEMORY (32 * 1024)

struct server;

/* Bind a (before tracing begins: a port in use is said at once).  NULL
 * with one line on stderr: "cannot listen on ADDR: REASON".
 */
struct server *server__new(const struct listen_addr *a, int metrics_top);

/* Start answering.  0, or -errno with one line on stderr. */
int server__start(struct server *s);

/* Render r's pages and put them in place of the old ones.  0 or -errno
 * (the old pages stay; said on stderr).
 */
int server__publish(struct server *s, const struct report *r);

/* Stop answering, close the socket, free what no response holds. */
void server__free(struct server *s);	/* accepts NULL */

#endif /* SERVER_H */
