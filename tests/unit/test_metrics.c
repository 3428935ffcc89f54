// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_metrics.c: the Prometheus page of the fixture report:
 * its series line by line, the "other" aggregate past --metrics-top, label
 * escaping, the page before any report, and Prometheus's own promtool
 * (Debian's prometheus, installed by tools/install-deps.sh) accepting it.
 */
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "harness.h"
#include "export/metrics.h"
#include "report_fixture.h"

/* The labels of the fixture's processes: their cgroups name a container
 * and a unit
 */
#define NODE_WHO "pid=\"4242\",comm=\"node\",cgroup=\"" FIXTURE_NODE_CGROUP "\",container=\"" \
	FIXTURE_CONTAINER "\""
#define LEAKY_WHO "pid=\"5150\",comm=\"leaky\",cgroup=\"/system.slice/leaky.service\"," \
	"unit=\"leaky.service\""

static const struct metrics_self self = { .cpu_seconds = 1.25, .resident_bytes = 7340032 };

/* The page of r with top processes named; static, overwritten by the next call. */
static const char *page_of(const struct report *r, int top)
{
	static char *data;
	size_t len = 0;
	FILE *f;

	free(data);
	data = NULL;
	f = open_memstream(&data, &len);
	if (!ASSERT_OK_PTR(f, "open_memstream"))
		return "";
	ASSERT_OK(metrics__write(r, &self, top, f), "metrics__write");
	fclose(f);
	return data ? data : "";
}

static int count(const char *page, const char *needle)
{
	int n = 0;

	for (page = strstr(page, needle); page; page = strstr(page + 1, needle))
		n++;
	return n;
}

void test_metrics_page(void)
{
	struct report r;
	const char *page;

	report_fixture(&r);
	r.procs[0].growth_s = 10.0;	/* node: its growth over 10 s */
	page = page_of(&r, 20);
	if (test__start_subtest("per process and category")) {
		ASSERT_STRCONTAINS(page, "# HELP memleakbpf_outstanding_bytes ", "HELP");
		ASSERT_STRCONTAINS(page, "\n# TYPE memleakbpf_outstanding_bytes gauge\n", "TYPE");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{" NODE_WHO ","
				   "category=\"buffer\"} 199438336\n", "node buffer bytes");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{" NODE_WHO ","
				   "category=\"native\"} 222298112\n", "node native bytes");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{" LEAKY_WHO ","
				   "category=\"allocator\"} 135168\n", "leaky allocator bytes");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_allocations{" NODE_WHO ","
				   "category=\"native\"} 51234\n", "node native count");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_allocations{" LEAKY_WHO ","
				   "category=\"mmap\"} 0\n", "a category held, now empty");
		/* node has 4 categories, leaky 3 (no Buffers) */
		ASSERT_EQ(count(page, "\nmemleakbpf_outstanding_bytes{"), 7, "series");
		ASSERT_EQ(count(page, "{pid=\"other\""), 0, "no other: both named");
	}
	if (test__start_subtest("growth per second")) {
		ASSERT_STRCONTAINS(page, "# TYPE memleakbpf_growth_bytes_per_second gauge\n", "TYPE");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_growth_bytes_per_second{" NODE_WHO ","
				   "category=\"native\"} 2055208.9\n", "20552089 bytes in 10 s");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_growth_bytes_per_second{" NODE_WHO ","
				   "category=\"allocator\"} 104857.6\n", "1 MiB in 10 s");
		/* no span known (growth_s 0): no rate made up */
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_growth_bytes_per_second{" LEAKY_WHO ","
				   "category=\"native\"} 0\n", "leaky");
	}
	if (test__start_subtest("verdicts")) {
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_verdict{" NODE_WHO ",category=\"buffer\","
				   "verdict=\"off-heap-leak\"} 1\n", "node");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_verdict{" LEAKY_WHO ",category=\"\","
				   "verdict=\"insufficient-data\"} 1\n", "leaky");
	}
	if (test__start_subtest("the run's own")) {
		ASSERT_STRCONTAINS(page, "# TYPE memleakbpf_events_dropped_total counter\n", "TYPE");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_events_dropped_total{reason=\"stacks\"} 1000\n", "stacks");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_events_dropped_total{reason=\"events\"} 234\n", "events");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_events_dropped_total{reason=\"allocs\"} 0\n", "allocs");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_reports_total 3\n", "reports");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_last_report_timestamp_seconds 1795356131.250\n", "when");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_traced_processes 2\n", "processes");
		ASSERT_STRCONTAINS(page, "\nprocess_cpu_seconds_total 1.250\n", "cpu");
		ASSERT_STRCONTAINS(page, "\nprocess_resident_memory_bytes 7340032\n", "rss");
		/* a report made by hand knows nothing of the unwind tables */
		ASSERT_EQ(count(page, "memleakbpf_unwind_table"), 0, "no unwind series");
		r.unwind = (struct unwind_report){ .known = true, .tables = 3, .bytes = 392680,
						   .budget = 67108864 };
		page = page_of(&r, 20);
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_unwind_table_bytes 392680\n", "unwind bytes");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_unwind_table_budget_bytes 67108864\n", "budget");
		ASSERT_STRCONTAINS(page, "\nmemleakbpf_unwind_tables 3\n", "tables");
	}
}

void test_metrics_top(void)
{
	struct report r;
	const char *page;

	report_fixture(&r);
	/* node holds more (leaky's allocator arena is not counted): named */
	page = page_of(&r, 1);
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{" NODE_WHO ","
			   "category=\"native\"} 222298112\n", "node named");
	ASSERT_EQ(count(page, "pid=\"5150\""), 0, "leaky not named");
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{pid=\"other\",comm=\"\","
			   "category=\"native\"} 40960\n", "leaky in other");
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_allocations{pid=\"other\",comm=\"\","
			   "category=\"allocator\"} 1\n", "other's allocator");
	ASSERT_EQ(count(page, "\nmemleakbpf_outstanding_bytes{pid=\"other\""), 3, "other: leaky's 3 categories");
	ASSERT_EQ(count(page, "\nmemleakbpf_verdict{"), 1, "a verdict for node only");
	/* leaky made the bigger one: now it is named and node summed */
	r.procs[1].cat[ML_CAT_NATIVE].bytes = 1LL << 40;
	page = page_of(&r, 1);
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{" LEAKY_WHO ","
			   "category=\"native\"} 1099511627776\n", "leaky named");
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{pid=\"other\",comm=\"\","
			   "category=\"buffer\"} 199438336\n", "node in other");
}

void test_metrics_labels(void)
{
	struct report r;
	const char *page;

	report_fixture(&r);
	r.procs[0].comm = "a\"b\\c\nd\xff" "e\xc3";	/* a comm cut inside a character */
	page = page_of(&r, 20);
	ASSERT_STRCONTAINS(page, "{pid=\"4242\",comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd" "e\xef\xbf\xbd\","
			   "cgroup=\"", "escaped");
	/* no cgroup known: pid and comm alone */
	r.procs[1].cgroup = NULL;
	page = page_of(&r, 20);
	ASSERT_STRCONTAINS(page, "\nmemleakbpf_outstanding_bytes{pid=\"5150\",comm=\"leaky\","
			   "category=\"native\"} 40960\n", "leaky without a cgroup");
}

void test_metrics_before_first_report(void)
{
	const char *page = page_of(NULL, 20);

	ASSERT_EQ(count(page, "memleakbpf_"), 0, "no series of a report");
	ASSERT_STRCONTAINS(page, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "
			   "1.250\n", "cpu");
	ASSERT_STRCONTAINS(page, "\nprocess_resident_memory_bytes 7340032\n", "rss");
}

/* `promtool check metrics` reads the page on stdin: 0 problems, exit 0. */
static void promtool_accepts(const char *page, const char *what)
{
	char path[] = "/tmp/memleakbpf-metrics-XXXXXX", cmd[128];
	const char *args[3] = { "-c", cmd, NULL };
	struct ml_run run;
	int fd = mkstemp(path);

	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return;
	ASSERT_EQ(write(fd, page, strlen(page)), (ssize_t)strlen(page), "write");
	close(fd);
	snprintf(cmd, sizeof(cmd), "exec /usr/bin/promtool check metrics < %s", path);
	if (ASSERT_OK(run_program(&run, "/bin/sh", args), "run promtool")) {
		ASSERT_EQ(run.exit_code, 0, what);
		ASSERT_STREQ(run.out, "", what);
		ASSERT_STREQ(run.err, "", what);
		ml_run_release(&run);
	}
	unlink(path);
}

void test_metrics_promtool(void)
{
	struct report r;

	report_fixture(&r);
	r.unwind = (struct unwind_report){ .known = true, .tables = 3, .bytes = 392680,
					   .budget = 67108864 };
	promtool_accepts(page_of(&r, 20), "every process named");
	promtool_accepts(page_of(&r, 1), "with pid=\"other\"");
	r.procs[0].comm = "a\"b\\c\nd\xff";
	promtool_accepts(page_of(&r, 20), "escaped comm");
	promtool_accepts(page_of(NULL, 20), "before the first report");
}
