/* user/util/ticker.h: a thread that keeps a clock word current.
 *
 * BPF stamps each heap block with a word user space keeps at
 * CLOCK_MONOTONIC, rather than asking the kernel's clock at every
 * allocation (bpf_ktime_get_ns() costs about half of what the rest of an
 * allocator's return costs).
 */
#ifndef TICKER_H
#define TICKER_H

#include <stdint.h>

struct ticker;

/* Store CLOCK_MONOTONIC (ns) into *word now and every period_ms from a
 * thread of its own, which inherits the caller's signal mask and
 * capabilities.  NULL and errno on failure.
 */
struct ticker *ticker__start(volatile uint64_t *word, unsigned int period_ms);

/* Stop the thread (and wait for it); NULL is a no-op. */
void ticker__stop(struct ticker *t);

#endif /* TICKER_H */
