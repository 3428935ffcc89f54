/* tests/packaging.h: helpers of the packaging tests (test_packaging.c,
 * test_e2e_install.c): bash completion run as bash runs it, the
 * environment variables the sources read.
 */
#ifndef PACKAGING_H
#define PACKAGING_H

#include <stdbool.h>

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* What bash offers for the command line words (the last one is the word
 * being completed, "" for a new one) with the completion file sourced
 * after Debian's bash-completion: one candidate a line, sorted; NULL
 * after a failed assert.  Free it.
 */
char *complete(const char *completion, const char *const *words);
/* Assert it is exactly want. */
void complete_is(const char *completion, const char *const *words, const char *want);
/* text has a line that is exactly s. */
bool has_line(const char *text, const char *s);

/* The MEMLEAKBPF_* names of getenv("...") calls in user/, each once. */
int source_env_count(void);
const char *source_env(int i);

#endif
