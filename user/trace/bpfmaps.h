/* user/trace/bpfmaps.h: reading whole BPF hash maps; parts of BPF arrays
 * mapped for a moment.
 */
#ifndef BPFMAPS_H
#define BPFMAPS_H

#include <stdbool.h>
#include <stddef.h>

/* Copy every (key, value) of a hash map into two malloc'd arrays, in
 * batches (one syscall per few thousand entries).  Returns the number of
 * entries or a negative errno; on success *keys and *values belong to the
 * caller (free them; NULL when empty).
 */
long map_dump(int map_fd, size_t key_size, size_t value_size, void **keys, void **values);

/* Delete the n keys in keys[] (key_size bytes each); returns how many went. */
size_t map_delete_keys(int map_fd, const void *keys, size_t key_size, size_t n);

/* Bytes [off, off + len) of a BPF array (BPF_F_MMAPABLE), mapped shared
 * until map_window_close(): a mapping of a BPF array has all its pages
 * present, so a whole table mapped for the run would count in our RSS all
 * along.  Returns where off is, or NULL and errno.
 */
struct map_window {
	void *base;
	size_t len;
};

void *map_window_open(struct map_window *w, int fd, size_t off, size_t len, bool write);
void map_window_close(struct map_window *w);	/* after a failed open too */

#endif /* BPFMAPS_H */
