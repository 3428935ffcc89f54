// SPDX-License-Identifier: GPL-2.0
/* user/util/array.c: growing a malloc'd array in place. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "util/array.h"

int array_grow(void **v, size_t *cap, size_t need, size_t elem_size)
{
	size_t max, n;
	void *p;

	if (!elem_size)
		return -EINVAL;	/* realloc(p, 0) would free p */
	if (need <= *cap)
		return 0;
	/* The most elements whose byte count fits: doubling stops there. */
	max = SIZE_MAX / elem_size;
	if (need > max)
		return -ENOMEM;
	n = *cap ? *cap : ARRAY_MIN_CAP;
	if (n > max)
		n = max;
	while (n < need)
		n = n > max / 2 ? max : n * 2;
	p = realloc(*v, n * elem_size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}
