/* tests/fuzz/memfile.h: a fuzz input as a file path, for readers that open
 * a path: a memfd, named /proc/self/fd/N, closed by memfile_close().
 */
#ifndef FUZZ_MEMFILE_H
#define FUZZ_MEMFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline int memfile_open(const void *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static inline void memfile_close(int fd)
{
	close(fd);
}

#endif /* FUZZ_MEMFILE_H */
