/* tests/fuzz/fuzz_folded.c: libFuzzer target for folded__read()
 * (user/export/folded.c), which `memleakbpf diff` uses on any file it is
 * given.
 *
 * The input is the file.  A profile that reads must be well formed (every
 * sample with 1 to 1024 frames, each named), and writing it must be
 * stable: read(write(profile)) writes the same bytes again.  A file that
 * does not read must say why in one line.  Built and run by tests/fuzz.mk
 * (`make fuzz`).
 */
#include <stdint.h>
#include <string.h>
#include "export/folded.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* folded__write() into a malloc'd buffer. */
static char *write_profile(const struct profile *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f || folded__write(p, f))
		abort();
	fclose(f);
	return buf;
}

static void check_profile(const struct profile *p)
{
	size_t i;
	int j;

	for (i = 0; i < p->n; i++) {
		const struct psample *s = &p->v[i];

		if (s->nframes < 1 || s->nframes > 1024)
			abort();
		for (j = 0; j < s->nframes; j++)
			if (!s->frames[j].name || s->frames[j].kind >= FRAME_KIND_MAX)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p, q;
	char path[64], err[512], *w1, *w2;
	size_t len1, len2;
	int fd, fd2;

	fd = memfile_open(data, size, path, sizeof(path));
	err[0] = '\0';
	if (folded__read(path, &p, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		memfile_close(fd);
		return 0;
	}
	memfile_close(fd);
	check_profile(&p);
	w1 = write_profile(&p, &len1);
	fd2 = memfile_open(w1, len1, path, sizeof(path));
	if (folded__read(path, &q, err, sizeof(err)))
		abort();	/* what we write, we read */
	memfile_close(fd2);
	w2 = write_profile(&q, &len2);
	if (len1 != len2 || memcmp(w1, w2, len1))
		abort();
	free(w1);
	free(w2);
	profile__release(&p);
	profile__release(&q);
	return 0;
}
