// SPDX-License-Identifier: GPL-2.0
/* user/serve/server.c: --listen's pages and their server, see server.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <microhttpd.h>
#include "export/metrics.h"
#include "export/pprof.h"
#include "serve/server.h"
#include "util/log.h"

#define CT_PPROF "application/octet-stream"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

/* An immutable rendered page; freed by whoever drops the last reference. */
struct page {
	int refs;
	size_t len;
	unsigned char *data;
};

enum page_id { PAGE_HEAP, PAGE_ALLOCS, PAGE_METRICS, NPAGES };

static const struct {
	const char *url, *content_type;
	const char *filename;		/* Content-Disposition, as net/http/pprof */
} routes[NPAGES] = {
	[PAGE_HEAP] = { "/debug/pprof/heap", CT_PPROF, "heap" },
	[PAGE_ALLOCS] = { "/debug/pprof/allocs", CT_PPROF, "allocs" },
	[PAGE_METRICS] = { "/metrics", CT_METRICS, NULL },
};

struct server {
	struct listen_addr addr;
	int fd;
	int metrics_top;
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;		/* held only to swap or take a page */
	struct page *pages[NPAGES];	/* NULL: none yet */
};

static struct page *page__new(unsigned char *data, size_t len)
{
	struct page *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1;
	p->len = len;
	p->data = data;
	return p;
}

static void page__put(void *arg)
{
	struct page *p = arg;

	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(p->data);
		free(p);
	}
}

static struct page *server__get(struct server *s, enum page_id id)
{
	struct page *p;

	pthread_mutex_lock(&s->lock);
	p = s->pages[id];
	if (p)
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&s->lock);
	return p;
}

static void server__swap(struct server *s, struct page **fresh)
{
	struct page *old[NPAGES];
	int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < NPAGES; i++) {
		old[i] = fresh[i] ? s->pages[i] : NULL;
		if (fresh[i])
			s->pages[i] = fresh[i];
	}
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < NPAGES; i++)
		page__put(old[i]);
}

/* ---- rendering, on the run loop's thread ---- */

static void self_usage(struct metrics_self *self)
{
	struct rusage ru;
	unsigned long size, resident;
	FILE *f;

	memset(self, 0, sizeof(*self));
	if (!getrusage(RUSAGE_SELF, &ru))
		self->cpu_seconds = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
				    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) == 2)
			self->resident_bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
}

static struct page *render_metrics(const struct report *r, int top)
{
	struct metrics_self self;
	struct page *p;
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);
	int err;

	if (!f)
		return NULL;
	self_usage(&self);
	err = metrics__write(r, &self, top, f);
	if (fclose(f) || err) {
		free(data);
		return NULL;
	}
	p = page__new((unsigned char *)data, len);
	if (!p)
		free(data);
	return p;
}

static struct page *render_pprof(const struct report *r, const char *default_type)
{
	struct pprof_mem m;
	struct page *p;

	if (pprof__encode_mem(r, default_type, &m))
		return NULL;
	p = page__new(m.data, m.len);
	if (!p)
		free(m.data);
	return p;
}

int server__publish(struct server *s, const struct report *r)
{
	struct page *fresh[NPAGES] = {
		[PAGE_HEAP] = render_pprof(r, "inuse_space"),
		[PAGE_ALLOCS] = render_pprof(r, "alloc_space"),
		[PAGE_METRICS] = render_metrics(r, s->metrics_top),
	};
	int i;

	if (!fresh[PAGE_HEAP] || !fresh[PAGE_ALLOCS] || !fresh[PAGE_METRICS]) {
		for (i = 0; i < NPAGES; i++)
			page__put(fresh[i]);
		log_error("cannot render the pages of --listen: %s (the previous ones are served)",
			  strerror(ENOMEM));
		return -ENOMEM;
	}
	server__swap(s, fresh);
	return 0;
}

/* ---- answering, on MHD's thread ---- */

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text,
				  const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_TEXT);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_page(struct MHD_Connection *c, enum page_id id, struct page *p)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disposition[64];

	/* the page goes with the response: its reference is dropped when sent */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(p->len, p->data, page__put, p);
	if (!resp) {
		page__put(p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, routes[id].content_type);
	if (routes[id].filename) {
		snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"",
			 routes[id].filename);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	}
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct page *p;
	int id;

	/* the query (?seconds=N, ?debug=1) is not part of url: ignored */
	for (id = 0; id < NPAGES && strcmp(url, routes[id].url); id++)
		;
	if (id == NPAGES)
		return reply_text(c, MHD_HTTP_NOT_FOUND,
				  "404 not found: /metrics, /debug/pprof/heap, /debug/pprof/allocs\n",
				  NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "405 method not allowed: GET or HEAD\n", "GET, HEAD");
	p = server__get(s, id);
	if (!p)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "503 no report yet: the first comes after --interval\n", NULL);
	return reply_page(c, id, p);
}

/* MHD's own complaints (a client that sent garbage, a timeout) are
 * about clients, not about the run: shown with -vv only.
 */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (log_verbosity < 2)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("http: %s", line);
}

struct server *server__new(const struct listen_addr *a, int metrics_top)
{
	struct server *s = calloc(1, sizeof(*s));

	if (!s) {
		log_error("cannot listen on %s: %s", a->text, strerror(ENOMEM));
		return NULL;
	}
	s->addr = *a;
	s->metrics_top = metrics_top;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = listen_addr_bind(a);
	if (s->fd < 0) {
		log_error("cannot listen on %s: %s", a->text, strerror(-s->fd));
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

int server__start(struct server *s)
{
	s->pages[PAGE_METRICS] = render_metrics(NULL, s->metrics_top);
	s->daemon = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0,
				     NULL, NULL, answer, s,
				     MHD_OPTION_LISTEN_SOCKET, s->fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_CONNECTIONS,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SERVER_MAX_PER_IP,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONNECTION_MEMORY,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_END);
	if (!s->daemon) {
		log_error("cannot serve on %s: libmicrohttpd did not start", s->addr.text);
		return -EINVAL;
	}
	s->fd = -1;	/* the daemon's now: it closes it when stopped */
	log_note("serving http://%s/metrics, /debug/pprof/heap and /debug/pprof/allocs",
		 s->addr.text);
	return 0;
}

void server__free(struct server *s)
{
	int i;

	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);	/* every response is gone after it */
	if (s->fd >= 0)
		close(s->fd);
	for (i = 0; i < NPAGES; i++)
		page__put(s->pages[i]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
