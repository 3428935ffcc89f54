// SPDX-License-Identifier: GPL-2.0
/* tests/unit/saved_env.c: see saved_env.h. */
#include <stdio.h>
#include <stdlib.h>
#include "saved_env.h"

void saved_env__take(struct saved_env *s, const char *name)
{
	const char *v = getenv(name);

	s->name = name;
	s->had = v != NULL;
	snprintf(s->value, sizeof(s->value), "%s", v ? v : "");
}

void saved_env__restore(const struct saved_env *s)
{
	if (s->had)
		setenv(s->name, s->value, 1);
	else
		unsetenv(s->name);
}
