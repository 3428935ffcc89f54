/* tests/fuzz/fuzz_pprof.c: libFuzzer target for pprof__read()
 * (user/export/pprof_read.c), which `memleakbpf diff` uses on any .pb.gz
 * file it is given: gzip (with its output cap), then profile.proto.
 *
 * The input is the file, read once with the default sample type and once
 * asking for "inuse_space".  A profile that reads must be well formed
 * (every sample with frames, each named, of a known kind); a file that
 * does not read must say why in one line.  Built and run by tests/fuzz.mk
 * (`make fuzz`).
 */
#include <stdint.h>
#include <string.h>
#include "export/pprof.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_one(const char *path, const char *type)
{
	struct profile p;
	char err[512];
	size_t i;
	int j;

	err[0] = '\0';
	if (pprof__read(path, type, &p, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n') || p.n || p.v)
			abort();
		return;
	}
	for (i = 0; i < p.n; i++) {
		const struct psample *s = &p.v[i];

		if (s->nframes < 0 || (s->nframes && !s->frames))
			abort();
		for (j = 0; j < s->nframes; j++)
			if (!s->frames[j].name || s->frames[j].kind >= FRAME_KIND_MAX ||
			    strlen(s->frames[j].name) > (1u << 24))
				abort();
	}
	if (p.metric >= METRIC_MAX)
		abort();
	profile__release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfile_open(data, size, path, sizeof(path));

	read_one(path, NULL);
	read_one(path, "inuse_space");
	memfile_close(fd);
	return 0;
}
