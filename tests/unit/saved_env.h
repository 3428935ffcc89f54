/* tests/unit/saved_env.h: an environment variable a test changes, put
 * back as it was (set to its value, or unset) when the test ends.
 */
#ifndef SAVED_ENV_H
#define SAVED_ENV_H

#include <stdbool.h>

struct saved_env {
	const char *name;
	char value[8192];
	bool had;
};

void saved_env__take(struct saved_env *s, const char *name);
void saved_env__restore(const struct saved_env *s);

#endif /* SAVED_ENV_H */
