/* user/trace/bpfmaps.h: reading whole BPF hash maps. */
#ifndef BPFMAPS_H
#define BPFMAPS_H

#include <stddef.h>

/* Copy every (key, value) of a hash map into two malloc'd arrays, in
 * batches (one syscall per few thousand entries).  Returns the number of
 * entries or a negative errno; on success *keys and *values belong to the
 * caller (free them; NULL when empty).
 */
long map_dump(int map_fd, size_t key_size, size_t value_size, void **keys, void **values);

/* Delete the n keys in keys[] (key_size bytes each); returns how many went. */
size_t map_delete_keys(int map_fd, const void *keys, size_t key_size, size_t n);

#endif /* BPFMAPS_H */
