// SPDX-License-Identifier: GPL-2.0
/* End to end: --listen, with the clients people use.  `go tool pprof`
 * fetches /debug/pprof/heap and /allocs from a traced stepper workload; a
 * real Prometheus (Debian's, started here on a loopback port of its own)
 * scrapes /metrics every second and its HTTP API gives the workload's bytes
 * back; promtool checks the live page; curl checks methods, paths and
 * types; hostile clients (200 connections held, one that never reads, a
 * 1 MB request line) neither stall the reports nor grow memleakbpf's
 * memory; bad --listen values and a port in use are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "e2e.h"
#include "gopprof.h"

#define MIB (1 << 20)
#define CURL "/usr/bin/curl"
#define PROMETHEUS "/usr/bin/prometheus"
#define PROMTOOL "/usr/bin/promtool"
/* what hostile clients may add to memleakbpf's resident memory: its
 * connections take at most 64 x 32 KiB (serve/server.h), far below
 */
#define HOSTILE_RSS_LIMIT (16 * MIB)

/* A loopback port free now: the kernel's pick. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	ASSERT_GT(port, 0, "a free port");
	return port;
}

struct reply {
	int status;
	char type[128];		/* Content-Type */
	char allow[64];		/* Allow */
	char *body;		/* NULL with HEAD or a binary body */
	size_t len;		/* the body's length as received */
};

/* curl METHOD http://127.0.0.1:port PATH: false (test failed) when curl
 * could not make the request.  text: keep the body.
 */
static bool http(const char *method, int port, const char *path, bool text, struct reply *rep)
{
	char url[256], *trailer;
	const char *args[16];
	struct ml_run r;
	int n = 0;

	memset(rep, 0, sizeof(*rep));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	args[n++] = "-sS";
	args[n++] = "--noproxy";
	args[n++] = "*";
	args[n++] = "--max-time";
	args[n++] = "20";
	if (!strcmp(method, "HEAD")) {
		args[n++] = "-I";
	} else {
		args[n++] = "-X";
		args[n++] = method;
	}
	if (!text) {	/* a gzipped body would end the text at its first NUL */
		args[n++] = "-o";
		args[n++] = "/dev/null";
	}
	args[n++] = "-w";
	args[n++] = "\n@@%{http_code}@@%{content_type}@@%header{allow}@@%{size_download}";
	args[n++] = url;
	args[n] = NULL;
	if (!ASSERT_OK(run_program(&r, CURL, args), "run curl"))
		return false;
	trailer = strstr(r.out, "\n@@");
	if (!ASSERT_EQ(r.exit_code, 0, url) || !ASSERT_OK_PTR(trailer, "curl's trailer")) {
		fprintf(stderr, "  curl: %s\n", r.err);
		ml_run_release(&r);
		return false;
	}
	*trailer = '\0';
	/* "@@status@@type@@allow@@size": fields may be empty */
	{
		char *f[4], *p = trailer + 3;
		int i;

		for (i = 0; i < 4; i++) {
			f[i] = p;
			p = strstr(p, "@@");
			if (p) {
				*p = '\0';
				p += 2;
			} else {
				p = f[i] + strlen(f[i]);
			}
		}
		rep->status = atoi(f[0]);
		snprintf(rep->type, sizeof(rep->type), "%s", f[1]);
		snprintf(rep->allow, sizeof(rep->allow), "%s", f[2]);
		rep->len = strtoul(f[3], NULL, 10);
	}
	if (text)
		rep->body = strdup(r.out);
	ml_run_release(&r);
	return true;
}

/* One query of Prometheus's HTTP API: the one value of the vector it
 * returns (a string), or "" when it returns none.  false on failure.
 */
static bool prom_query(int port, const char *query, char *value, size_t len)
{
	char url[128], data[512];
	const char *args[] = { "-sS", "--noproxy", "*", "--max-time", "10", "-G",
			       "--data-urlencode", data, url, NULL };
	json_t *root, *result, *v;
	json_error_t e;
	struct ml_run r;
	bool ok = false;

	value[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/query", port);
	snprintf(data, sizeof(data), "query=%s", query);
	if (run_program(&r, CURL, args))
		return false;
	root = r.exit_code ? NULL : json_loads(r.out, 0, &e);
	result = json_object_get(json_object_get(root, "data"), "result");
	if (json_is_array(result)) {
		ok = true;
		v = json_array_get(json_object_get(json_array_get(result, 0), "value"), 1);
		if (json_array_size(result) == 1 && json_is_string(v))
			snprintf(value, len, "%s", json_string_value(v));
		else if (json_array_size(result) > 1)
			snprintf(value, len, "(%zu series)", json_array_size(result));
	}
	json_decref(root);
	ml_run_release(&r);
	return ok;
}

/* In `go tool pprof -raw` output: the samples with a location whose
 * function is fn, their values summed (alloc_objects, alloc_space,
 * inuse_objects, inuse_space); how many samples.
 */
static int raw_samples_of(const char *raw, const char *fn, long long v[4])
{
	const char *locs = strstr(raw, "\nLocations\n"), *p, *line;
	char ids[4096] = " ", want[64];
	size_t o = 1;
	int n = 0;

	memset(v, 0, 4 * sizeof(*v));
	if (!locs)
		return 0;
	/* "12: 0x55d0c0a1b2c3 M=1 fn file:line s=..." : the ids of fn */
	for (line = locs + 11; *line && strncmp(line, "Mappings", 8); line = strchr(line, '\n') + 1) {
		int id, used = 0;
		char name[256];

		if (sscanf(line, "%d: %*s %n", &id, &used) == 1 && used) {
			const char *f = line + used;

			if (!strncmp(f, "M=", 2))
				f = strchr(f, ' ') + 1;
			if (sscanf(f, "%255s", name) == 1 && !strcmp(name, fn) && o < sizeof(ids) - 16)
				o += snprintf(ids + o, sizeof(ids) - o, "%d ", id);
		}
		if (!strchr(line, '\n'))
			break;
	}
	/* "4 4194304 4 4194304: 1 2 3 4 5 6" */
	for (line = strstr(raw, "\nSamples:\n"); line && line < locs; line = strchr(line + 1, '\n')) {
		long long s[4];
		int used = 0;

		if (sscanf(line + 1, "%lld %lld %lld %lld: %n", &s[0], &s[1], &s[2], &s[3], &used) != 4 || !used)
			continue;
		for (p = line + 1 + used; *p && *p != '\n';) {
			int id, k;

			if (sscanf(p, "%d%n", &id, &k) != 1)
				break;
			snprintf(want, sizeof(want), " %d ", id);
			if (strstr(ids, want)) {
				for (k = 0; k < 4; k++)
					v[k] += s[k];
				n++;
				break;
			}
			p += k;
			while (*p == ' ')
				p++;
		}
	}
	return n;
}

static void expect_raw(const char *raw, const char *fn, long long a_obj, long long a_space,
		       long long i_obj, long long i_space)
{
	long long v[4];

	ASSERT_EQ(raw_samples_of(raw, fn, v), 1, fn);
	ASSERT_EQ(v[0], a_obj, fn);
	ASSERT_EQ(v[1], a_space, fn);
	ASSERT_EQ(v[2], i_obj, fn);
	ASSERT_EQ(v[3], i_space, fn);
}

static struct ml_tracer *start_listening(int port, const char *interval)
{
	char addr[32];
	const char *extra[] = { "--listen", addr, "--interval", interval, NULL };

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	return stepper_start(extra);
}

/* Send req (as far as the server takes it) and return the status line of
 * the reply in line[].
 */
static void raw_request(int port, const char *req, size_t len, char *line, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t sent = 0;
	ssize_t n;
	char *eol;

	line[0] = '\0';
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (sent < len && (n = send(fd, req + sent, len - sent, MSG_NOSIGNAL)) > 0)
		sent += (size_t)n;
	n = recv(fd, line, size - 1, 0);
	line[n > 0 ? n : 0] = '\0';
	eol = strstr(line, "\r\n");
	if (eol)
		*eol = '\0';
out:
	if (fd >= 0)
		close(fd);
}

static void check_limits(int port)
{
	size_t len = 100000;
	char *req = malloc(len + 64), line[256];

	if (!ASSERT_OK_PTR(req, "malloc"))
		return;
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', len);
	strcpy(req + 5 + len, " HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_request(port, req, strlen(req), line, sizeof(line));
	ASSERT_STREQ(line, "HTTP/1.1 414 URI Too Long", "a 100 KB request line");
	strcpy(req, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + strlen(req), 'b', len);
	strcpy(req + len, "\r\n\r\n");
	raw_request(port, req, strlen(req), line, sizeof(line));
	ASSERT_STREQ(line, "HTTP/1.1 431 Request Header Fields Too Large", "a 100 KB header");
	free(req);
}

static void check_http(int port)
{
	struct reply rep;

	if (http("GET", port, "/debug/pprof/heap?seconds=30", false, &rep)) {
		ASSERT_EQ(rep.status, 200, "heap");
		ASSERT_STREQ(rep.type, "application/octet-stream", "heap's type");
		ASSERT_GT(rep.len, 100, "heap's length");
	}
	if (http("GET", port, "/debug/pprof/allocs", false, &rep)) {
		ASSERT_EQ(rep.status, 200, "allocs");
		ASSERT_STREQ(rep.type, "application/octet-stream", "allocs' type");
	}
	if (http("GET", port, "/metrics", true, &rep)) {
		ASSERT_EQ(rep.status, 200, "metrics");
		ASSERT_STREQ(rep.type, "text/plain; version=0.0.4; charset=utf-8", "metrics' type");
		ASSERT_STRCONTAINS(rep.body, "\n# TYPE memleakbpf_outstanding_bytes gauge\n", "a family");
		free(rep.body);
	}
	if (http("HEAD", port, "/metrics", true, &rep)) {
		ASSERT_EQ(rep.status, 200, "HEAD");
		ASSERT_STRCONTAINS(rep.body, "Content-Length: ", "HEAD: the length");
		ASSERT_EQ(rep.len, 0, "HEAD: no body");
		free(rep.body);
	}
	if (http("GET", port, "/debug/pprof/", true, &rep)) {
		ASSERT_EQ(rep.status, 404, "/debug/pprof/");
		free(rep.body);
	}
	if (http("GET", port, "/metrics/x", false, &rep))
		ASSERT_EQ(rep.status, 404, "/metrics/x");
	if (http("GET", port, "/debug/pprof/profile", false, &rep))
		ASSERT_EQ(rep.status, 404, "CPU profiles are not ours");
	if (http("POST", port, "/metrics", false, &rep)) {
		ASSERT_EQ(rep.status, 405, "POST");
		ASSERT_STREQ(rep.allow, "GET, HEAD", "Allow");
	}
	if (http("DELETE", port, "/debug/pprof/heap", false, &rep))
		ASSERT_EQ(rep.status, 405, "DELETE");
	if (http("PUT", port, "/debug/pprof/heap", false, &rep))
		ASSERT_EQ(rep.status, 405, "PUT");
}

/* CapEff of a status file ("000001ffffffffff"), "" when unreadable. */
static void cap_eff(const char *path, char *caps, size_t len)
{
	char line[256], fmt[32];
	FILE *f = fopen(path, "r");

	caps[0] = '\0';
	snprintf(fmt, sizeof(fmt), "CapEff: %%%zus", len - 1);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, caps) == 1)
			break;
	if (f)
		fclose(f);
}

/* Every thread of pid has the reduced capabilities of its main thread:
 * the server's was made after they were dropped.
 */
static void check_thread_caps(pid_t pid)
{
	char path[320], main_caps[64], caps[64];
	struct dirent *d;
	int threads = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cap_eff(path, main_caps, sizeof(main_caps));
	ASSERT_NEQ(strlen(main_caps), 0, "the main thread's CapEff");
	ASSERT_NEQ(strtoull(main_caps, NULL, 16), 0x1ffffffffffULL, "not every capability");
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!ASSERT_OK_PTR(dir, path))
		return;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, d->d_name);
		cap_eff(path, caps, sizeof(caps));
		ASSERT_STREQ(caps, main_caps, "a thread's CapEff");
		threads++;
	}
	closedir(dir);
	ASSERT_GE(threads, 2, "the run loop's thread and the server's");
}

void test_e2e_listen_pprof(void)
{
	char heap[64], allocs[64], *out = NULL;
	struct ml_tracer *t;
	struct reply rep;
	json_t *final = NULL;
	int port;

	if (!test__require_root() || (port = free_port()) <= 0)
		return;
	snprintf(heap, sizeof(heap), "http://127.0.0.1:%d/debug/pprof/heap", port);
	snprintf(allocs, sizeof(allocs), "http://127.0.0.1:%d/debug/pprof/allocs", port);
	t = start_listening(port, "1h");
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	ASSERT_STRCONTAINS(ml_tracer_stderr(t), "memleakbpf: serving http://127.0.0.1:", "said where");
	if (test__start_subtest("the server's thread holds the reduced capabilities"))
		check_thread_caps(ml_tracer_pid(t));
	if (test__start_subtest("before the first report")) {
		if (http("GET", port, "/debug/pprof/heap", true, &rep)) {
			ASSERT_EQ(rep.status, 503, "no profile yet");
			ASSERT_STREQ(rep.body, "503 no report yet: the first comes after --interval\n", "says why");
			free(rep.body);
		}
		if (http("GET", port, "/metrics", true, &rep)) {
			ASSERT_EQ(rep.status, 200, "metrics");
			ASSERT_STRCONTAINS(rep.body, "\nprocess_resident_memory_bytes ", "its own series");
			ASSERT_FALSE(strstr(rep.body, "memleakbpf_outstanding_bytes"), "none of a report");
			free(rep.body);
		}
	}
	if (!stepper_step(t, 'A') || !ASSERT_OK_PTR(ml_tracer_report(t), "report after A"))
		goto stop;
	if (test__start_subtest("heap: exact bytes per site") && !go_pprof(heap, FLAGS("-raw"), &out)) {
		ASSERT_STRCONTAINS(out, "\nalloc_objects/count alloc_space/bytes inuse_objects/count "
				   "inuse_space/bytes[dflt]\n", "inuse_space the default");
		expect_raw(out, "steady_big", 4, 4 * MIB, 4, 4 * MIB);
		expect_raw(out, "rising", 1, MIB, 1, MIB);
		ASSERT_STRCONTAINS(out, "comm:[stepper]", "comm label");
	}
	free(out);
	out = NULL;
	if (!stepper_step(t, 'F') || !ASSERT_OK_PTR(ml_tracer_report(t), "report after F"))
		goto stop;
	if (test__start_subtest("heap after free") && !go_pprof(heap, FLAGS("-raw"), &out)) {
		expect_raw(out, "steady_big", 4, 4 * MIB, 4, 4 * MIB);
		expect_raw(out, "rising", 1, MIB, 0, 0);
	}
	free(out);
	out = NULL;
	if (test__start_subtest("allocs: alloc_space by default") &&
	    !go_pprof(allocs, FLAGS("-raw"), &out)) {
		ASSERT_STRCONTAINS(out, "\nalloc_objects/count alloc_space/bytes[dflt] inuse_objects/count "
				   "inuse_space/bytes\n", "alloc_space the default");
		expect_raw(out, "rising", 1, MIB, 0, 0);
		free(out);
		out = NULL;
		if (!go_pprof(allocs, FLAGS("-top", "-nodefraction=0", "-unit=B"), &out)) {
			ASSERT_STRCONTAINS(out, "\nType: alloc_space\n", "alloc_space shown");
			/* drop_frames: the callers of malloc are the leaves */
			gopprof_top_is(out, "rising", MIB, MIB);
			gopprof_top_is(out, "steady_big", 4 * MIB, 4 * MIB);
		}
	}
	free(out);
	if (test__start_subtest("methods, paths and types"))
		check_http(port);
	if (test__start_subtest("request line and header limits"))
		check_limits(port);
stop:
	ASSERT_EQ(ml_tracer_stop(t, SIGTERM, &final), 0, "exit code on SIGTERM");
	ASSERT_TRUE(final && json_is_true(json_object_get(final, "final")), "final report");
	json_decref(final);
	ml_tracer_free(t);
}

/* Prometheus in dir on port, scraping 127.0.0.1:target every second;
 * its words go to dir/prometheus.log.  The pid, or -1.
 */
static pid_t prometheus_start(const char *dir, int port, int target)
{
	char path[320], config[256], storage[320], listen[64];
	FILE *f;
	pid_t pid;
	int fd;

	snprintf(config, sizeof(config), "%s/prometheus.yml", dir);
	f = fopen(config, "w");
	if (!ASSERT_OK_PTR(f, "prometheus.yml"))
		return -1;
	fprintf(f, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
		"scrape_configs:\n  - job_name: memleakbpf\n    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n", target);
	fclose(f);
	snprintf(storage, sizeof(storage), "--storage.tsdb.path=%s/data", dir);
	snprintf(listen, sizeof(listen), "--web.listen-address=127.0.0.1:%d", port);
	snprintf(path, sizeof(path), "--config.file=%s", config);
	pid = fork();
	if (pid == 0) {
		char log[256];

		snprintf(log, sizeof(log), "%s/prometheus.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(PROMETHEUS, PROMETHEUS, path, storage, listen, "--log.level=warn",
		      (char *)NULL);
		_exit(127);
	}
	ASSERT_GT(pid, 0, "fork prometheus");
	return pid;
}

static void prometheus_stop(pid_t pid, const char *dir)
{
	char cmd[512];
	int status;

	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "  cannot remove %s\n", dir);
}

void test_e2e_listen_prometheus(void)
{
	char dir[] = "/tmp/memleakbpf-prometheus-XXXXXX", query[256], value[64] = "", want[32];
	const char *args[] = { "-c", query, NULL };
	int port, prom_port, tries;
	struct ml_tracer *t;
	json_t *report;
	struct ml_run r;
	pid_t pid, prom = -1;
	long long native, native_count;

	if (!test__require_root() || (port = free_port()) <= 0)
		return;
	if (!ASSERT_OK(access(PROMETHEUS, X_OK), "prometheus (tools/install-deps.sh installs it)") ||
	    !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	t = start_listening(port, "1");
	if (!ASSERT_OK_PTR(t, "start"))
		goto cleanup;
	if (!stepper_step(t, 'A') || !ASSERT_OK_PTR(report = ml_tracer_report(t), "report after A"))
		goto stop;
	pid = report_pid_of(report, "stepper");
	native = proc_category_bytes(report, pid, "native");
	/* the tracer owns report: gone at the next one */
	native_count = json_integer_value(json_object_get(json_object_get(json_object_get(
		report_proc(report, pid), "categories"), "native"), "count"));
	ASSERT_GE(native_count, 5, "native allocations");
	/* the 5 MiB of step A and what stdio holds */
	ASSERT_EQ(site_bytes(report, pid, "steady_big") + site_bytes(report, pid, "rising"), 5 * MIB,
		  "step A");
	ASSERT_GE(native, 5 * MIB, "native bytes");
	if (test__start_subtest("promtool check metrics")) {
		snprintf(query, sizeof(query), CURL " -sS --noproxy '*' http://127.0.0.1:%d/metrics | "
			 PROMTOOL " check metrics", port);
		if (ASSERT_OK(run_program(&r, "/bin/sh", args), "curl | promtool")) {
			ASSERT_EQ(r.exit_code, 0, "promtool's exit code");
			ASSERT_STREQ(r.out, "", "promtool says nothing");
			ASSERT_STREQ(r.err, "", "promtool complains of nothing");
			ml_run_release(&r);
		}
	}
	prom_port = free_port();
	prom = prometheus_start(dir, prom_port, port);
	if (prom <= 0)
		goto stop;
	watchdog_arm(180);
	watchdog_add(prom);
	/* scraped every second: wait, a report at a time, for the figure */
	snprintf(want, sizeof(want), "%lld", native);
	snprintf(query, sizeof(query), "memleakbpf_outstanding_bytes{pid=\"%d\",category=\"native\"}", pid);
	for (tries = 0; tries < 90 && strcmp(value, want); tries++) {
		if (!ml_tracer_next_report(t))
			break;
		prom_query(prom_port, query, value, sizeof(value));
	}
	ASSERT_STREQ(value, want, "Prometheus has the native bytes of the report");
	if (test__start_subtest("the other series")) {
		snprintf(query, sizeof(query), "memleakbpf_outstanding_allocations{pid=\"%d\",category=\"native\"}",
			 pid);
		snprintf(want, sizeof(want), "%lld", native_count);
		ASSERT_TRUE(prom_query(prom_port, query, value, sizeof(value)), "query allocations");
		ASSERT_STREQ(value, want, "native allocations");
		snprintf(query, sizeof(query), "count(memleakbpf_verdict{pid=\"%d\",comm=\"stepper\"} == 1)", pid);
		ASSERT_TRUE(prom_query(prom_port, query, value, sizeof(value)), "query verdict");
		ASSERT_STREQ(value, "1", "one verdict");
		ASSERT_TRUE(prom_query(prom_port, "up{job=\"memleakbpf\"}", value, sizeof(value)), "up");
		ASSERT_STREQ(value, "1", "up");
		ASSERT_TRUE(prom_query(prom_port, "memleakbpf_events_dropped_total{reason=\"allocs\"}",
				       value, sizeof(value)), "drops");
		ASSERT_STREQ(value, "0", "nothing dropped");
	}
	ASSERT_FALSE(watchdog_disarm(), "within the watchdog's bound");
stop:
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, NULL), 0, "exit code on SIGINT");
	ml_tracer_free(t);
cleanup:
	prometheus_stop(prom, dir);
}

/* VmRSS of pid, in bytes; -1 when unknown. */
static long long rss_of(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* A non-blocking connection to 127.0.0.1:port under way; rcvbuf > 0
 * shrinks its receive buffer first.
 */
static int connect_to(int port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* As much of buf as the socket takes now, from *sent on. */
static void feed(int fd, const char *buf, size_t len, size_t *sent)
{
	ssize_t n;

	while (fd >= 0 && *sent < len &&
	       (n = send(fd, buf + *sent, len - *sent, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
		*sent += (size_t)n;
}

#define HOSTILE_HELD 200
#define HOSTILE_REPORTS 8

void test_e2e_listen_hostile(void)
{
	static const char one[] = "GET /debug/pprof/heap HTTP/1.1\r\nHost: x\r\n\r\n";
	int port, held[HOSTILE_HELD], reader, liner, i, nheld = 0, nreports = 0;
	size_t pipelined_len = 4000 * (sizeof(one) - 1), pipelined_sent = 0;
	size_t line_len = (1 << 20) + 64, line_sent = 0;
	char *pipelined = malloc(pipelined_len), *line = malloc(line_len);
	double first = -1, last = -1, prev_elapsed = 0, gap, max_gap = 0;
	long long rss0, rss, rss_max;
	struct ml_tracer *t;
	struct reply rep;
	json_t *report;
	pid_t tracer, pid = -1;
	bool grew = false;

	if (!test__require_root() || !ASSERT_OK_PTR(pipelined, "malloc") || !ASSERT_OK_PTR(line, "malloc") ||
	    (port = free_port()) <= 0)
		goto out;
	for (i = 0; i < 4000; i++)
		memcpy(pipelined + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	memcpy(line, "GET /", 5);
	memset(line + 5, 'a', line_len - 5);
	memcpy(line + line_len - 13, " HTTP/1.1\r\n\r\n", 13);
	t = start_listening(port, "1");
	if (!ASSERT_OK_PTR(t, "start"))
		goto out;
	tracer = ml_tracer_pid(t);
	if (!stepper_step(t, 'A') || !ASSERT_OK_PTR(report = ml_tracer_next_report(t), "a report"))
		goto stop;
	pid = report_pid_of(report, "stepper");
	rss_max = rss0 = rss_of(tracer);
	ASSERT_GT(rss0, 0, "memleakbpf's RSS");

	for (i = 0; i < HOSTILE_HELD; i++)
		if ((held[nheld] = connect_to(port, 0)) >= 0)
			nheld++;
	ASSERT_EQ(nheld, HOSTILE_HELD, "connections opened");
	reader = connect_to(port, 4096);	/* asks for 4000 profiles, reads none */
	liner = connect_to(port, 0);		/* a 1 MB request line */
	for (i = 0; i < HOSTILE_REPORTS; i++) {
		feed(reader, pipelined, pipelined_len, &pipelined_sent);
		feed(liner, line, line_len, &line_sent);
		if (i == HOSTILE_REPORTS / 2)
			ASSERT_OK(ml_tracer_send(t, "B\n"), "step B while besieged");
		report = ml_tracer_next_report(t);
		if (!ASSERT_OK_PTR(report, "reports go on"))
			break;
		nreports++;
		last = json_real_value(json_object_get(report, "elapsed_s"));
		if (first < 0)
			first = last;
		else if ((gap = last - prev_elapsed) > max_gap)
			max_gap = gap;
		prev_elapsed = last;
		if (site_bytes(report, pid, "rising") == 3 * MIB)
			grew = true;
		if ((rss = rss_of(tracer)) > rss_max)
			rss_max = rss;
	}
	ASSERT_EQ(nreports, HOSTILE_REPORTS, "reports while besieged");
	/* a report a second: none waited on a client (MHD's timeout is 10 s) */
	ASSERT_LE(last - first, 2.0 * (HOSTILE_REPORTS - 1), "the reports' span");
	ASSERT_LT(max_gap, 3.0, "the longest gap between two reports, in seconds");
	ASSERT_TRUE(grew, "step B traced while besieged: rising holds 3 MiB");
	ASSERT_GT(pipelined_sent, 0, "the reader's requests went out");
	ASSERT_LE(rss_max - rss0, HOSTILE_RSS_LIMIT, "RSS growth while besieged");
	fprintf(stderr, "  RSS %lld KiB before, at most %lld KiB while besieged; %zu bytes of "
		"requests sent unread, %zu of the long line; longest report gap %.3f s\n",
		rss0 / 1024, rss_max / 1024, pipelined_sent, line_sent, max_gap);

	for (i = 0; i < nheld; i++)
		close(held[i]);
	if (reader >= 0)
		close(reader);
	if (liner >= 0)
		close(liner);
	/* the server sees the closes at its pace: a few tries, a report apart */
	for (i = 0; i < 10; i++) {
		if (http("GET", port, "/metrics", true, &rep) && rep.status == 200)
			break;
		free(rep.body);
		rep.body = NULL;
		ml_tracer_next_report(t);
	}
	ASSERT_EQ(rep.status, 200, "a normal request afterwards");
	ASSERT_STRCONTAINS(rep.body ? rep.body : "", "memleakbpf_outstanding_bytes{pid=", "its page");
	free(rep.body);
	if (http("GET", port, "/debug/pprof/heap", false, &rep))
		ASSERT_EQ(rep.status, 200, "a profile afterwards");
stop:
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, NULL), 0, "exit code on SIGINT");
	ml_tracer_free(t);
out:
	free(pipelined);
	free(line);
}

void test_e2e_listen_errors(void)
{
	struct ml_run r;
	char expect[256], addr[32];
	int port, fd;

	if (test__start_subtest("bad values")) {
		const char *bad[] = { "abc", "0", "65536", "127.0.0.1:0", "localhost:9464", NULL };
		int i;

		for (i = 0; bad[i]; i++) {
			const char *args[] = { "--listen", bad[i], "--", "/bin/true", NULL };

			ml_run(&r, args);
			ASSERT_EQ(r.exit_code, 2, bad[i]);
			snprintf(expect, sizeof(expect), "memleakbpf: invalid value for --listen: '%s' "
				 "(expected PORT or ADDR:PORT, the address numeric and the port from 1 to "
				 "65535, like 9464, 0.0.0.0:9464 or [::1]:9464)\nTry 'memleakbpf --help' "
				 "for more information.\n", bad[i]);
			ASSERT_STREQ(r.err, expect, bad[i]);
			ASSERT_STREQ(r.out, "", "nothing on stdout");
			ml_run_release(&r);
		}
	}
	if (test__start_subtest("port in use") && test__require_root()) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		const char *args[] = { "--listen", addr, "--", "/bin/true", NULL };

		port = free_port();
		a.sin_port = htons(port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (!ASSERT_GE(fd, 0, "socket") ||
		    !ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind") ||
		    !ASSERT_OK(listen(fd, 1), "listen"))
			goto close;
		snprintf(addr, sizeof(addr), "%d", port);
		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		snprintf(expect, sizeof(expect), "memleakbpf: cannot listen on 127.0.0.1:%d: "
			 "Address already in use\n", port);
		ASSERT_STREQ(r.err, expect, "one line");
		ASSERT_STREQ(r.out, "", "no report");
		ml_run_release(&r);
close:
		if (fd >= 0)
			close(fd);
	}
	if (test__start_subtest("an address not of this machine") && test__require_root()) {
		const char *args[] = { "--listen", "192.0.2.1:9464", "--", "/bin/true", NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STREQ(r.err, "memleakbpf: cannot listen on 192.0.2.1:9464: Cannot assign "
			     "requested address\n", "one line");
		ml_run_release(&r);
	}
}
