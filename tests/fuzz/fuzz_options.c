/* tests/fuzz/fuzz_options.c: libFuzzer target for the value parsers of
 * user/cli/options.c: parse_size(), parse_duration(), parse_pid_list()
 * (what -p, --interval, --min-size ... are given).
 *
 * The input is one value (NUL-terminated here), given to each parser.  A
 * size that parses prints back as the same number of bytes; a duration
 * read as a number of seconds is that many 1e9 ns; a pid list appends
 * positive, distinct pids, at most max, or leaves the list as it was.
 * Built and run by tests/fuzz.mk (`make fuzz`).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_size(const char *s)
{
	uint64_t v, w;
	char buf[32];

	if (parse_size(s, &v))
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	if (parse_size(buf, &w) || w != v)
		abort();
	snprintf(buf, sizeof(buf), "%" PRIu64 "B", v);
	if (parse_size(buf, &w) || w != v)
		abort();
}

static void check_duration(const char *s)
{
	uint64_t ns, ms;
	char buf[48];

	if (parse_duration(s, &ns))
		return;
	/* the same value in milliseconds, where it is a whole number of them */
	if (ns % 1000000 == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64 "ms", ns / 1000000);
		if (parse_duration(buf, &ms) || ms != ns)
			abort();
	}
}

static void check_pids(const char *s)
{
	pid_t pids[OPTIONS_MAX_PIDS] = { 7, 42 }, before[OPTIONS_MAX_PIDS];
	int n = 2, max = OPTIONS_MAX_PIDS / 2, i, j, err;

	memcpy(before, pids, sizeof(pids));
	err = parse_pid_list(s, pids, &n, max);
	if (err) {
		if ((err != -EINVAL && err != -E2BIG) || n != 2 || memcmp(before, pids, sizeof(pids)))
			abort();
		return;
	}
	if (n < 2 || n > max || pids[0] != 7 || pids[1] != 42)
		abort();
	for (i = 0; i < n; i++) {
		if (pids[i] <= 0)
			abort();
		for (j = 0; j < i; j++)
			if (pids[i] == pids[j])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_size(s);
	check_duration(s);
	check_pids(s);
	free(s);
	return 0;
}
