/* user/export/metrics.h: a report as a Prometheus text exposition page
 * (version 0.0.4), what --listen serves at /metrics.
 *
 * Per process and category (labels pid, comm, category; and cgroup, with
 * the container and systemd unit it names, when known):
 *   memleakbpf_outstanding_bytes            gauge
 *   memleakbpf_outstanding_allocations      gauge
 *   memleakbpf_growth_bytes_per_second      gauge, since the previous report
 * Per process: memleakbpf_verdict{pid,comm,category,verdict} 1, category
 * the one the verdict is about ("" for none and insufficient-data).
 * Cardinality is bounded: the top processes by outstanding bytes (the
 * allocator category left out of the ranking, its arenas hold the native
 * heap) have series of their own, all others are summed into pid="other",
 * comm="".  Then the run's own: memleakbpf_events_dropped_total{reason},
 * memleakbpf_reports_total, memleakbpf_last_report_timestamp_seconds,
 * memleakbpf_traced_processes, memleakbpf_unwind_table_bytes,
 * memleakbpf_unwind_table_budget_bytes, memleakbpf_unwind_tables, and the
 * standard process_cpu_seconds_total and process_resident_memory_bytes of
 * memleakbpf itself.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>
#include <stdio.h>
#include "report/model.h"

/* memleakbpf's own use, measured by the caller when it renders. */
struct metrics_self {
	double cpu_seconds;		/* user + system */
	uint64_t resident_bytes;
};

/* The page of r (NULL before the first report: the run's own series
 * only) with at most top processes named.  0 or -errno.
 */
int metrics__write(const struct report *r, const struct metrics_self *self, int top, FILE *out);

#endif /* METRICS_H */
