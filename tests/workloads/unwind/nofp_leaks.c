/* A C program as distributions build them: -O2 -fomit-frame-pointer, so
 * that rbp is a general register and only the CFI (.eh_frame) can walk its
 * stacks (tests/e2e/test_e2e_unwind.c).  Every site is its own function,
 * noipa (no inlining, no cloning into name.constprop.0), and no call is a
 * tail call (something follows each), so that each named frame exists.
 *
 * At start, on the main thread and two threads, then in glibc:
 *   deep_leaf     3 x 1000 B  main > deep_a > deep_b > deep_c > deep_leaf
 *                             (a VLA: CFA from rbp; six callee-saved
 *                             registers, rbp among them; an 8 KiB frame)
 *   make_table    1600 B      calloc(16, 100)
 *   grow_buffer   5000 B      realloc 100 -> 5000
 *   one_leaf      4 x 300 B   thread one: one_fill > one_leaf
 *   two_leaf      3 x 500 B   thread two: two_fill > two_leaf
 *   copy_name     24 B        strdup
 *   read_header   st_blksize  fgetc: the buffer of a FILE that fopen opened
 *                             on this executable (_IO_file_doallocate)
 *   build_collation 256 B     the comparator of a qsort allocates, once
 *   twin_leaf     50 x 300 B  twin_a > twin_leaf and 50 x 500 B twin_b >
 *                             twin_leaf, alternating: twins of one frame
 *                             size, so that malloc is entered from the same
 *                             place with the same registers each time and
 *                             only a return address further up differs
 *   repeat_leaf   40 x 64 B   one stack forty times in a row (at "again",
 *                             once memleakbpf has reported: walks by the
 *                             process's own mappings, which can replay)
 * It says "ready", reads "go" with fgets (stdin's own buffer, allocated in
 * wait_for_go), then commands with getline (read_command keeps a 120 B
 * line buffer):
 *   load   dlopen libnofp_plugin.so (beside it, by DT_RUNPATH $ORIGIN) and
 *          call its plugin_run: 2 x 700 B in plugin_store right away
 *   again  call its plugin_again: 2 x 900 B in plugin_late; then repeat_leaf
 *   q      exit
 * answering "done CMD" on stderr.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include "../wl.h"

#define NOIPA __attribute__((noipa))

volatile long sink;

/* ---- a deep chain of frames of different shapes ---- */

NOIPA void deep_leaf(int n)
{
	for (int i = 0; i < n; i++)
		keep(malloc(1000));
	sink++;
}

NOIPA void deep_c(int n)
{
	char big[8192];		/* sub $0x2000+, %rsp */

	memset(big, n, sizeof(big));
	deep_leaf(n);
	sink += big[n * 100];
}

NOIPA void deep_b(int n)
{
	/* Values live across the call: rbx, rbp, r12-r15 all saved. */
	long a = sink + 1, b = sink * 3, c = sink ^ 5, d = sink - 7, e = sink + 11, f = sink * 13;

	deep_c(n);
	sink += a * b + c * d + e * f;
}

NOIPA void deep_a(int n)
{
	char vla[64 + n];	/* a variable frame: the CFA is rbp + 16 */

	memset(vla, 1, sizeof(vla));
	deep_b(n);
	sink += vla[n];
}

/* ---- calloc, realloc ---- */

NOIPA void make_table(void)
{
	keep(calloc(16, 100));
	sink++;
}

NOIPA void grow_buffer(void)
{
	char *p = malloc(100);

	p = realloc(p, 5000);
	keep(p);
	sink++;
}

/* ---- two threads ---- */

NOIPA void one_leaf(int i)
{
	keep(malloc(300));
	sink += i;
}

NOIPA void one_fill(void)
{
	for (int i = 0; i < 4; i++)
		one_leaf(i);
	sink++;
}

NOIPA void *thread_one(void *arg)
{
	one_fill();
	sink++;
	return arg;
}

NOIPA void two_leaf(int i)
{
	keep(malloc(500));
	sink += i;
}

NOIPA void two_fill(void)
{
	for (int i = 0; i < 3; i++)
		two_leaf(i);
	sink++;
}

NOIPA void *thread_two(void *arg)
{
	two_fill();
	sink++;
	return arg;
}

/* One after the other: keep() is not thread-safe. */
NOIPA void run_threads(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, thread_one, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, thread_two, NULL);
	pthread_join(b, NULL);
	sink++;
}

/* ---- inside glibc ---- */

NOIPA void copy_name(void)
{
	keep(strdup("memleakbpf unwind test"));	/* 22 + 1 */
	sink++;
}

NOIPA FILE *open_self(void)
{
	FILE *f = fopen("/proc/self/exe", "r");

	sink++;
	return f;
}

NOIPA void read_header(FILE *f)
{
	sink += fgetc(f);	/* the first read allocates the FILE's buffer */
	sink++;
}

static unsigned char *collation;

NOIPA void build_collation(void)
{
	collation = malloc(256);
	for (int i = 0; i < 256; i++)
		collation[i] = (unsigned char)(i ^ 0x20);
	sink++;
}

NOIPA int compare_names(const void *a, const void *b)
{
	const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
	int r;

	if (!collation)
		build_collation();
	while (*x && collation[*x] == collation[*y])
		x++, y++;
	r = collation[*x] - collation[*y];
	sink++;
	return r;
}

NOIPA void sort_names(void)
{
	static const char *names[] = { "kiwi", "apple", "fig", "pear", "lime", "date", "plum", "yuzu" };

	qsort(names, sizeof(names) / sizeof(names[0]), sizeof(names[0]), compare_names);
	sink++;
}

NOIPA void run_glibc_set(void)
{
	FILE *f;

	copy_name();
	f = open_self();
	if (f)
		read_header(f);	/* kept open: its buffer stays */
	sort_names();
	sink++;
}

/* ---- stdin ---- */

NOIPA void wait_for_go(void)
{
	char line[16];

	if (!fgets(line, sizeof(line), stdin))
		exit(1);
	sink++;
}

static char *command;
static size_t command_cap;

NOIPA int read_command(void)
{
	ssize_t n = getline(&command, &command_cap, stdin);

	if (n <= 0)
		return 0;
	if (command[n - 1] == '\n')
		command[n - 1] = '\0';
	sink++;
	return 1;
}

/* ---- a library loaded while traced ---- */

static void *plugin;

NOIPA void load_plugin(void)
{
	int (*run)(void);

	plugin = dlopen("libnofp_plugin.so", RTLD_NOW);
	if (!plugin) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(1);
	}
	run = (int (*)(void))dlsym(plugin, "plugin_run");
	sink += run();
	sink++;
}

NOIPA void call_plugin_again(void)
{
	int (*again)(void) = (int (*)(void))dlsym(plugin, "plugin_again");

	sink += again();
	sink++;
}

/* ---- the same registers at malloc, different stacks; one stack again ---- */

NOIPA void twin_leaf(int size)
{
	keep(malloc(size));
	sink++;
}

NOIPA void twin_a(int size)
{
	twin_leaf(size);
	sink++;
}

NOIPA void twin_b(int size)
{
	twin_leaf(size);
	sink++;
}

NOIPA void run_twins(void)
{
	for (int i = 0; i < 50; i++) {
		twin_a(300);
		twin_b(500);
	}
	sink++;
}

NOIPA void repeat_leaf(void)
{
	keep(malloc(64));
	sink++;
}

NOIPA void run_repeat(void)
{
	for (int i = 0; i < 40; i++)
		repeat_leaf();
	sink++;
}

int main(void)
{
	char msg[64];

	deep_a(3);
	make_table();
	grow_buffer();
	run_threads();
	run_glibc_set();
	run_twins();
	say("ready");
	wait_for_go();
	say("done go");
	while (read_command()) {
		if (!strcmp(command, "q"))
			break;
		if (!strcmp(command, "load"))
			load_plugin();
		else if (!strcmp(command, "again")) {
			call_plugin_again();
			run_repeat();	/* memleakbpf knows every mapping by now */
		} else
			continue;
		snprintf(msg, sizeof(msg), "done %s", command);
		say(msg);
	}
	return (int)(sink & 0);
}
