/* tests/workloads/sample_leaks.h: what sample_leaks allocates, shared with
 * the test that checks memleakbpf's estimates of it
 * (tests/e2e/test_e2e_sampling.c).
 *
 * Three leak sites of known sizes, 100 MiB, 10 MiB and 1 MiB, in blocks of
 * 1000 bytes, 10,000 bytes and 256 KiB, made among SL_CHURN_PER_A malloc/free
 * pairs of the churn site per block of leak_a, of sizes sl_churn_size(i).
 */
#ifndef SAMPLE_LEAKS_H
#define SAMPLE_LEAKS_H

#include <stdint.h>

#define SL_A_SIZE 1000
#define SL_A_N 104858		/* 104,858,000 bytes: 100.0 MiB */
#define SL_B_SIZE 10000
#define SL_B_EVERY 100		/* a block of leak_b every 100 of leak_a */
#define SL_B_N 1049		/* 10,490,000 bytes: 10.0 MiB */
#define SL_C_SIZE (256 * 1024)
#define SL_C_EVERY 26000
#define SL_C_N 4		/* 1 MiB */
#define SL_CHURN_PER_A 10
#define SL_CHURN_N ((uint64_t)SL_A_N * SL_CHURN_PER_A)

/* The size of the i-th churn block: 16 to 4095 bytes, from a fixed
 * sequence (a 64-bit LCG), so that the test knows every one.
 */
static inline uint64_t sl_churn_size(uint64_t i)
{
	uint64_t x = i * 6364136223846793005ULL + 1442695040888963407ULL;

	return 16 + (x >> 33) % 4080;
}

#endif /* SAMPLE_LEAKS_H */
