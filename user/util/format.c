// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "util/format.h"

void format_bytes(char *buf, size_t len, uint64_t b)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)b);
		return;
	}
	/* 1023.95 and up would print as "1024.0": the next unit's "1.0" */
	while (v >= 1023.95 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

void format_bytes_signed(char *buf, size_t len, int64_t b)
{
	static const char units[] = "KMGT";
	uint64_t m = b < 0 ? -(uint64_t)b : (uint64_t)b;
	char sign = b < 0 ? '-' : '+';
	double v = m;
	int u = -1;

	if (m < 1024) {
		snprintf(buf, len, "%c%llu", sign, (unsigned long long)m);
		return;
	}
	while (v >= 1023.95 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%c%.1f%c", sign, v, units[u]);
}

void format_count(char *buf, size_t len, int64_t n)
{
	char digits[32], out[48];
	int nd, i, o = 0;

	/* magnitude in unsigned: -INT64_MIN does not fit an int64_t */
	nd = snprintf(digits, sizeof(digits), "%llu",
		      (unsigned long long)(n < 0 ? -(uint64_t)n : (uint64_t)n));
	if (n < 0)
		out[o++] = '-';
	for (i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	snprintf(buf, len, "%s", out);
}

void format_age(char *buf, size_t len, double s)
{
	long t = (long)(s + 0.5);

	if (t < 60)
		snprintf(buf, len, "%lds", t);
	else if (t < 3600)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}
