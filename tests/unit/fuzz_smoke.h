/* tests/unit/fuzz_smoke.h: a libFuzzer target of tests/fuzz/ run for a
 * for 10 seconds from the unit tests (make fuzz runs them for longer).
 */
#ifndef FUZZ_SMOKE_H
#define FUZZ_SMOKE_H

/* Run .output/fuzz/fuzz_<name> for 10 s on .output/fuzz/seeds/<name> (when
 * the build made seeds) and tests/fuzz/corpus/<name>, into a fresh corpus;
 * assert it exits 0, and print the end of its log otherwise.  Skips, saying
 * why, when the target was not built (clang without libFuzzer), and in
 * the runner of `make test SANITIZE=1` (the plain runner runs them).
 */
void fuzz_smoke(const char *name);

#endif /* FUZZ_SMOKE_H */
