/* user/util/array.h: growing a malloc'd array in place.
 *
 *	struct site *v = NULL;
 *	size_t n = 0, cap = 0;
 *
 *	if (ARRAY_GROW(v, cap, n + 1))
 *		return -ENOMEM;
 *	v[n++] = site;
 *
 * The capacity starts at ARRAY_MIN_CAP elements and doubles until it holds
 * what is needed; on failure the array and its capacity are left as they
 * were (still valid, still the caller's to free).
 */
#ifndef ARRAY_H
#define ARRAY_H

#include <stddef.h>

#define ARRAY_MIN_CAP 16

/* Room for need elements of elem_size bytes in *v, which holds *cap.
 * 0, or -ENOMEM (also when need * elem_size does not fit in a size_t);
 * -EINVAL for an elem_size of 0.
 */
int array_grow(void **v, size_t *cap, size_t need, size_t elem_size);

/* Room for need elements of v's type: ARRAY_GROW(v, cap, n + 1).  v is a
 * pointer lvalue, cap a size_t lvalue; v is evaluated more than once.
 */
#define ARRAY_GROW(v, cap, need) ARRAY_GROW_ELEM(v, cap, need, sizeof(*(v)))

/* The same for records whose size is known at run time (a BPF map's keys).
 * v goes through a void * copy rather than a (void **) cast, so that a
 * struct pointer is never written as a void * object (strict aliasing).
 */
#define ARRAY_GROW_ELEM(v, cap, need, elem_size) ({			\
	void *___p = (v);						\
	int ___err = array_grow(&___p, &(cap), (need), (elem_size));	\
	(v) = ___p;							\
	___err; })

#endif /* ARRAY_H */
