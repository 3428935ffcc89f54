/* user/cli/options.h: the command line, parsed into one struct.
 *
 * options__parse() checks every value; a bad one prints one line naming the
 * option and the value, then a usage hint, and returns OPTIONS_BAD (exit 2).
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/cmdline.h"		/* enum options_result */
#include "report/rank.h"		/* enum sort_key */
#include "export/profile.h"		/* enum metric */
#include "trace/unwind.h"		/* enum ml_unwind_mode */
#include "serve/listen.h"		/* struct listen_addr */

#define OPTIONS_MAX_PIDS 64
#define OPTIONS_MAX_CGROUPS 8		/* = ML_MAX_CGROUPS */

struct options {
	pid_t pids[OPTIONS_MAX_PIDS];	/* -p, --pid (repeatable, comma lists) */
	int npids;
	const char *cgroups[OPTIONS_MAX_CGROUPS];	/* --cgroup (repeatable) */
	int ncgroups;
	uint64_t interval_ns;		/* -i, --interval; default 10s */
	uint64_t duration_ns;		/* -d, --duration; 0 = until the end */
	int top;			/* -T, --top; default 10 */
	uint64_t min_age_ns;		/* --min-age */
	uint64_t min_size;		/* --min-size; default 0 */
	uint64_t max_size;		/* --max-size; default UINT64_MAX */
	enum sort_key sort;		/* --sort */
	uint64_t sample_bytes;		/* --sample-bytes (0 = every allocation) */
	bool no_malloc, no_mmap;	/* --no-malloc, --no-mmap */
	bool json;			/* --json */
	const char *folded_path;	/* --folded FILE */
	const char *flamegraph_path;	/* --flamegraph FILE.svg */
	const char *pprof_path;		/* --pprof FILE.pb.gz */
	enum metric metric;		/* --metric, for --folded and --flamegraph */
	bool every;			/* --every: exports at every report, timestamped */
	bool listen;			/* --listen ADDR:PORT: serve the pages below */
	struct listen_addr listen_addr;
	int metrics_top;		/* --metrics-top: processes named in /metrics; default 20 */
	int verbosity;			/* -v: +1 each, -q: -1 */
	uint64_t max_allocs;		/* --max-allocs: size of the block table; default 1M */
	uint64_t max_stacks;		/* --max-stacks: distinct stacks kept; default 32K */
	enum ml_unwind_mode unwind;	/* --unwind; default auto */
	uint64_t unwind_memory;		/* --unwind-memory: bytes for all CFI tables; default 64M */
	char **cmd;			/* after "--": the command to run, NULL-terminated */
	int ncmd;
};


/* Parse argv into opts (defaults first).  Messages go to stderr, --help
 * and --version to stdout.
 */
enum options_result options__parse(struct options *opts, int argc, char **argv);

/* Pure value parsers, also used by the tests.  Return 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);		/* "4096", "4K", "1M", "2G" (powers of 1024) */
int parse_duration(const char *s, uint64_t *out_ns);	/* "10" (s), "500ms", "10s", "2m", "1h" */
/* "12,34": appended to pids[*npids], duplicates once, all or nothing;
 * -E2BIG when more than max pids would result.
 */
int parse_pid_list(const char *s, pid_t *pids, int *npids, int max);

#endif /* OPTIONS_H */
