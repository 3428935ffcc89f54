/* tests/workloads/sample_nested.h: what sample_nested allocates, shared with
 * tests/e2e/test_e2e_sampling.c: SN_N calls of SN_SIZE bytes at each site.
 */
#ifndef SAMPLE_NESTED_H
#define SAMPLE_NESTED_H

#define SN_N 30000
#define SN_SIZE 100

#endif /* SAMPLE_NESTED_H */
