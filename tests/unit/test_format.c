// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_format.c: human-readable sizes, counts and ages. */
#include <stdint.h>
#include "test.h"
#include "util/format.h"

#define KiB 1024ULL
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

static const char *bytes(uint64_t b)
{
	static char buf[64];

	format_bytes(buf, sizeof(buf), b);
	return buf;
}

static const char *sbytes(int64_t b)
{
	static char buf[64];

	format_bytes_signed(buf, sizeof(buf), b);
	return buf;
}

static const char *count(int64_t n)
{
	static char buf[64];

	format_count(buf, sizeof(buf), n);
	return buf;
}

static const char *age(double s)
{
	static char buf[64];

	format_age(buf, sizeof(buf), s);
	return buf;
}

void test_format_bytes(void)
{
	if (test__start_subtest("bytes")) {
		ASSERT_STREQ(bytes(0), "0 B", "0");
		ASSERT_STREQ(bytes(1), "1 B", "1");
		ASSERT_STREQ(bytes(812), "812 B", "812");
		ASSERT_STREQ(bytes(1023), "1023 B", "1023");
	}
	if (test__start_subtest("binary units")) {
		ASSERT_STREQ(bytes(1024), "1.0 KiB", "1024");
		ASSERT_STREQ(bytes(4096), "4.0 KiB", "4096");
		ASSERT_STREQ(bytes(1536), "1.5 KiB", "1536");
		ASSERT_STREQ(bytes(MiB + MiB / 2), "1.5 MiB", "1.5M");
		ASSERT_STREQ(bytes(212 * MiB), "212.0 MiB", "212M");
		ASSERT_STREQ(bytes(199438336), "190.2 MiB", "the report's example");
		ASSERT_STREQ(bytes(GiB + GiB / 2), "1.5 GiB", "1.5G");
		ASSERT_STREQ(bytes(3 * TiB), "3.0 TiB", "3T");
		ASSERT_STREQ(bytes(2048 * TiB), "2048.0 TiB", "TiB is the largest unit");
		ASSERT_STREQ(bytes(UINT64_MAX), "16777216.0 TiB", "max");
	}
	if (test__start_subtest("rounding up to the next unit")) {
		/* 1023.99 KiB would print as "1024.0 KiB" */
		ASSERT_STREQ(bytes(MiB - 1), "1.0 MiB", "1M-1");
		ASSERT_STREQ(bytes(GiB - 1), "1.0 GiB", "1G-1");
		ASSERT_STREQ(bytes(1023 * KiB + 900), "1023.9 KiB", "1023.9K stays");
	}
}

void test_format_bytes_signed(void)
{
	if (test__start_subtest("small")) {
		ASSERT_STREQ(sbytes(0), "+0", "0");
		ASSERT_STREQ(sbytes(812), "+812", "+812");
		ASSERT_STREQ(sbytes(-812), "-812", "-812");
		ASSERT_STREQ(sbytes(1023), "+1023", "+1023");
	}
	if (test__start_subtest("units")) {
		ASSERT_STREQ(sbytes(-4096), "-4.0K", "-4K");
		ASSERT_STREQ(sbytes(20552089), "+19.6M", "the report's example");
		ASSERT_STREQ(sbytes(GiB + GiB / 2), "+1.5G", "+1.5G");
		ASSERT_STREQ(sbytes(-(int64_t)(5 * TiB)), "-5.0T", "-5T");
		ASSERT_STREQ(sbytes(MiB - 1), "+1.0M", "1M-1 rounds up a unit");
	}
	if (test__start_subtest("extremes")) {
		ASSERT_STREQ(sbytes(INT64_MIN), "-8388608.0T", "INT64_MIN");
		ASSERT_STREQ(sbytes(INT64_MAX), "+8388608.0T", "INT64_MAX");
	}
}

void test_format_count(void)
{
	ASSERT_STREQ(count(0), "0", "0");
	ASSERT_STREQ(count(7), "7", "7");
	ASSERT_STREQ(count(999), "999", "999");
	ASSERT_STREQ(count(1000), "1,000", "1000");
	ASSERT_STREQ(count(2918), "2,918", "2918");
	ASSERT_STREQ(count(-1000), "-1,000", "-1000");
	ASSERT_STREQ(count(-999), "-999", "-999");
	ASSERT_STREQ(count(123456), "123,456", "123456");
	ASSERT_STREQ(count(1234567), "1,234,567", "1234567");
	ASSERT_STREQ(count(INT64_MAX), "9,223,372,036,854,775,807", "INT64_MAX");
	ASSERT_STREQ(count(INT64_MIN), "-9,223,372,036,854,775,808", "INT64_MIN");
}

void test_format_age(void)
{
	ASSERT_STREQ(age(0), "0s", "0");
	ASSERT_STREQ(age(0.4), "0s", "0.4 rounds down");
	ASSERT_STREQ(age(59), "59s", "59");
	ASSERT_STREQ(age(59.4), "59s", "59.4");
	ASSERT_STREQ(age(59.6), "1m00s", "59.6 rounds to a minute");
	ASSERT_STREQ(age(61), "1m01s", "61");
	ASSERT_STREQ(age(61.2), "1m01s", "61.2");
	ASSERT_STREQ(age(12 * 60 + 5), "12m05s", "12m05s");
	ASSERT_STREQ(age(3599), "59m59s", "3599");
	ASSERT_STREQ(age(3600), "1h00m", "3600");
	ASSERT_STREQ(age(2 * 3600 + 3 * 60 + 59), "2h03m", "2h03m59s truncates to minutes");
	ASSERT_STREQ(age(100 * 3600), "100h00m", "100h");
}
