// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_packaging.c: what ships beside the binary, checked with
 * the tools users read it with.
 *
 *   doc/memleakbpf.8   rendered by man(1): no warning; every option of
 *                      --help (and of diff --help) has its entry, every
 *                      environment variable the sources read is there
 *   the bash completion  sourced after Debian's bash-completion: options,
 *                      their values, pids; every option of --help offered
 *   examples/          prometheus.yml by promtool; the Parca and Kubernetes
 *                      files parsed as YAML (Debian has no validator for
 *                      them), the Alloy file's blocks (no parser either)
 *
 * The installed files are checked by test_e2e_install.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "harness.h"
#include "capture.h"
#include "golden.h"
#include "packaging.h"
#include "cli/diff_args.h"
#include "cli/options.h"

#define MAN_PAGE "doc/memleakbpf.8"
#define COMPLETION "packaging/memleakbpf.bash-completion"
#define MAX_OPTS 64

struct optlist {
	char v[MAX_OPTS][32];
	int n;
};

/* The options of an argp --help text: the first column of the lines that
 * begin with a dash ("  -p, --pid=PID[,PID]   Processes..."), without
 * their arguments.
 */
static void help_options(const char *help, struct optlist *o)
{
	const char *line = help;

	o->n = 0;
	while (line && *line) {
		const char *p = line, *end = strchr(line, '\n');

		while (*p == ' ')
			p++;
		while (*p == '-' && o->n < MAX_OPTS) {
			size_t len = strcspn(p, "=, \n");

			snprintf(o->v[o->n++], sizeof(o->v[0]), "%.*s", (int)len, p);
			p += len;
			p += strcspn(p, ", \n");	/* the argument */
			if (strncmp(p, ", ", 2))
				break;		/* the description follows */
			p += 2;
		}
		line = end ? end + 1 : NULL;
	}
}

static void main_help_options(struct optlist *o)
{
	static char help[16384], err[1024];
	char *argv[] = { "memleakbpf", "--help", NULL };
	struct options opts;
	struct capture c;

	capture_start(&c);
	options__parse(&opts, 2, argv);
	capture_end(&c, help, sizeof(help), err, sizeof(err));
	help_options(help, o);
}

static void diff_help_options(struct optlist *o)
{
	static char help[8192], err[1024];
	char *argv[] = { "diff", "--help", NULL };
	struct diff_options opts;
	struct capture c;

	capture_start(&c);
	diff_options__parse(&opts, 2, argv);
	capture_end(&c, help, sizeof(help), err, sizeof(err));
	help_options(help, o);
}

/* The man page as man(1) renders it, plain text, wide lines. */
static char *render_man(const char *page, char **warnings)
{
	const char *args[] = { "MANWIDTH=200", "man", "--warnings", "--no-hyphenation",
			       "--no-justification", "-l", page, NULL };
	struct ml_run r;
	char *out;

	*warnings = NULL;
	if (!ASSERT_OK(run_program(&r, "/usr/bin/env", args), "run man"))
		return NULL;
	if (!ASSERT_EQ(r.exit_code, 0, "man's exit code")) {
		ml_run_release(&r);
		return NULL;
	}
	out = strdup(r.out);
	*warnings = strdup(r.err);
	ml_run_release(&r);
	return out;
}

/* The part of text from the line that is exactly from to the one that is
 * exactly to (or the end): NULL when from is missing.
 */
static char *section(const char *text, const char *from, const char *to)
{
	char head[96];
	const char *b, *e;

	snprintf(head, sizeof(head), "\n%s\n", from);
	b = strstr(text, head);
	if (!b)
		return NULL;
	b += strlen(head);
	snprintf(head, sizeof(head), "\n%s\n", to);
	e = strstr(b, head);
	return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

/* In a rendered section: an entry that begins with opt ("       -p, --pid=PID"). */
static bool has_entry(const char *sect, const char *opt)
{
	const char *line = sect;
	size_t len = strlen(opt);

	while (line && *line) {
		const char *p = line, *end = strchr(line, '\n');

		if (!strncmp(p, "       -", 8)) {
			p += 7;
			for (;;) {
				if (!strncmp(p, opt, len) && strchr("=, \n[", p[len]))
					return true;
				p += strcspn(p, ",\n");
				if (strncmp(p, ", ", 2))
					break;
				p += 2;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

void test_packaging_man_page(void)
{
	struct optlist run, diff;
	char *text, *warnings, *opts = NULL, *diff_opts = NULL, *env = NULL;
	int i;

	main_help_options(&run);
	diff_help_options(&diff);
	/* the parse itself: --help lists what the tables have */
	ASSERT_GE(run.n, 30, "options in --help");
	ASSERT_GE(diff.n, 7, "options in diff --help");
	text = render_man(MAN_PAGE, &warnings);
	if (!text)
		return;
	ASSERT_STREQ(warnings, "", "man --warnings says nothing");
	opts = section(text, "OPTIONS", "   Options of memleakbpf diff");
	diff_opts = section(text, "   Options of memleakbpf diff", "REPORT");
	env = section(text, "ENVIRONMENT", "FILES");
	if (!ASSERT_OK_PTR(opts, "OPTIONS") || !ASSERT_OK_PTR(diff_opts, "diff's options") ||
	    !ASSERT_OK_PTR(env, "ENVIRONMENT"))
		goto out;
	for (i = 0; i < run.n; i++)
		if (!has_entry(opts, run.v[i]))
			TEST_FAIL_("%s (in --help) has no entry in %s's OPTIONS", run.v[i], MAN_PAGE);
	for (i = 0; i < diff.n; i++)
		if (!has_entry(diff_opts, diff.v[i]))
			TEST_FAIL_("diff %s (in diff --help) has no entry in %s", diff.v[i], MAN_PAGE);
	/* every variable of the tool's own the sources read */
	for (i = 0; i < source_env_count(); i++)
		if (!strstr(env, source_env(i)))
			TEST_FAIL_("%s (read by the sources) is not in ENVIRONMENT", source_env(i));
	ASSERT_GE(source_env_count(), 3, "MEMLEAKBPF_* variables found in the sources");
	for (i = 0; i < 4; i++) {
		static const char *const heads[] = { "\nEXIT STATUS\n", "\nVERDICTS\n", "\nEXAMPLES\n",
						     "\nFILES\n" };

		ASSERT_STRCONTAINS(text, heads[i], "a section");
	}
	ASSERT_STRCONTAINS(text, "\n       2      A bad command line", "exit status 2");
	ASSERT_STRCONTAINS(text, "\n       native-leak\n", "a verdict");
out:
	free(opts);
	free(diff_opts);
	free(env);
	free(text);
	free(warnings);
}

/* --cgroup offers the directories of the cgroup2 mount, with a slash. */
static void check_cgroup_completion(void)
{
	char line[512], mnt[256] = "", type[32], want[300], *offered;
	struct dirent *d;
	FILE *f = fopen("/proc/self/mounts", "re");
	DIR *dir;

	/* an absolute path: directories */
	complete_is(COMPLETION, WORDS("memleakbpf", "--cgroup", "/sys/fs/cgrou"), "/sys/fs/cgroup\n");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %31s", mnt, type) == 2 && !strcmp(type, "cgroup2"))
			break;
		else
			mnt[0] = '\0';
	if (f)
		fclose(f);
	dir = mnt[0] ? opendir(mnt) : NULL;
	if (!ASSERT_OK_PTR(dir, "the cgroup2 mount"))
		return;
	while ((d = readdir(dir)) && (d->d_type != DT_DIR || d->d_name[0] == '.'))
		;
	/* a machine (or container) may have no cgroup below the root */
	if (d) {
		snprintf(want, sizeof(want), "%s/", d->d_name);
		offered = complete(COMPLETION, WORDS("memleakbpf", "--cgroup", d->d_name));
		ASSERT_TRUE(offered && has_line(offered, want), "--cgroup offers a cgroup");
		free(offered);
	}
	closedir(dir);
}

void test_packaging_completion(void)
{
	struct optlist run, diff;
	char pid[16], *offered;
	int i;

	if (test__start_subtest("option")) {
		complete_is(COMPLETION, WORDS("memleakbpf", "--unw"), "--unwind\n--unwind-memory\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--no-m"), "--no-malloc\n--no-mmap\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "d"), "diff\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "diff", "--s"), "--sample-index\n");
	}
	if (test__start_subtest("values")) {
		complete_is(COMPLETION, WORDS("memleakbpf", "--unwind", ""), "auto\ndwarf\nfp\n");
		/* bash splits "--unwind=f" at the '=' */
		complete_is(COMPLETION, WORDS("memleakbpf", "--unwind", "="), "auto\ndwarf\nfp\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--unwind", "=", "f"), "fp\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--sort", ""),
			    "age\ncount\ngrowth\noutstanding\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--metric", "a"), "alloc-bytes\nallocs\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "diff", "--sample-index", "inuse"),
			    "inuse_objects\ninuse_space\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--interval", ""), "");
	}
	if (test__start_subtest("pids and files")) {
		char want[32], words[64];

		/* this process, alone or after a comma */
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		offered = complete(COMPLETION, WORDS("memleakbpf", "-p", pid));
		ASSERT_TRUE(offered && has_line(offered, pid), "-p offers this pid");
		free(offered);
		snprintf(words, sizeof(words), "1,%s", pid);
		offered = complete(COMPLETION, WORDS("memleakbpf", "--pid", words));
		snprintf(want, sizeof(want), "1,%s", pid);
		ASSERT_TRUE(offered && has_line(offered, want), "a comma list completes its last pid");
		free(offered);
		complete_is(COMPLETION, WORDS("memleakbpf", "--pprof", "doc/memleakbpf."),
			    "doc/memleakbpf.8\n");
		complete_is(COMPLETION, WORDS("memleakbpf", "--", "memleakbp"), "");
		check_cgroup_completion();
	}
	if (test__start_subtest("every option of --help")) {
		main_help_options(&run);
		diff_help_options(&diff);
		offered = complete(COMPLETION, WORDS("memleakbpf", "-"));
		for (i = 0; offered && i < run.n; i++)
			if (!has_line(offered, run.v[i]))
				TEST_FAIL_("%s (in --help) is not offered", run.v[i]);
		free(offered);
		offered = complete(COMPLETION, WORDS("memleakbpf", "diff", "-"));
		for (i = 0; offered && i < diff.n; i++)
			if (!has_line(offered, diff.v[i]))
				TEST_FAIL_("diff %s (in diff --help) is not offered", diff.v[i]);
		free(offered);
	}
}

static void check_yaml(const char *path, const char *checks)
{
	char script[2048];
	const char *args[] = { "-c", script, NULL };
	struct ml_run r;

	snprintf(script, sizeof(script),
		 "import yaml\ndocs = list(yaml.safe_load_all(open('%s')))\n%s\nprint('ok')\n",
		 path, checks);
	if (!ASSERT_OK(run_program(&r, "/usr/bin/python3", args), "run python3"))
		return;
	if (!ASSERT_EQ(r.exit_code, 0, path))
		fprintf(stderr, "  %s", r.err);
	ASSERT_STREQ(r.out, "ok\n", path);
	ml_run_release(&r);
}

/* Blocks and strings balanced, outside of comments and strings. */
static bool balanced(const char *text)
{
	int depth[3] = { 0 };
	bool quoted = false;
	const char *p;

	for (p = text; *p; p++) {
		if (quoted) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (*p == '/' && p[1] == '/') {
			p += strcspn(p, "\n") - 1;
			continue;
		}
		quoted = *p == '"';
		depth[0] += (*p == '{') - (*p == '}');
		depth[1] += (*p == '[') - (*p == ']');
		depth[2] += (*p == '(') - (*p == ')');
		if (depth[0] < 0 || depth[1] < 0 || depth[2] < 0)
			return false;
	}
	return !quoted && !depth[0] && !depth[1] && !depth[2];
}

void test_packaging_examples(void)
{
	if (test__start_subtest("prometheus (promtool)")) {
		const char *args[] = { "check", "config", "examples/prometheus.yml", NULL };
		struct ml_run r;

		if (ASSERT_OK(run_program(&r, "/usr/bin/promtool", args), "run promtool")) {
			ASSERT_EQ(r.exit_code, 0, "promtool check config");
			ASSERT_STRCONTAINS(r.out, "SUCCESS", "promtool says valid");
			ml_run_release(&r);
		}
		check_yaml("examples/prometheus.yml",
			   "j = docs[0]['scrape_configs'][0]\n"
			   "assert j['job_name'] == 'memleakbpf' and j['metrics_path'] == '/metrics'\n"
			   "assert j['static_configs'][0]['targets'] == ['127.0.0.1:9464']");
	}
	if (test__start_subtest("parca (YAML only)"))
		check_yaml("examples/parca.yaml",
			   "j = docs[0]['scrape_configs'][0]\n"
			   "assert j['job_name'] == 'memleakbpf'\n"
			   "assert j['static_configs'][0]['targets'] == ['127.0.0.1:9464']\n"
			   "p = j['profiling_config']['pprof_config']\n"
			   "assert p['memory'] == {'enabled': True, 'path': '/debug/pprof/heap', 'delta': False}\n"
			   "assert p['allocs'] == {'enabled': True, 'path': '/debug/pprof/allocs', 'delta': False}\n"
			   "assert not p['process_cpu']['enabled']");
	if (test__start_subtest("kubernetes (YAML only)"))
		check_yaml("examples/kubernetes-daemonset.yaml",
			   "ds = [d for d in docs if d['kind'] == 'DaemonSet'][0]\n"
			   "s = ds['spec']['template']['spec']\n"
			   "assert s['hostPID'] is True\n"
			   "c = s['containers'][0]\n"
			   "a = c['args']\n"
			   "assert a[a.index('--listen') + 1] == '0.0.0.0:9464'\n"
			   "assert c['ports'][0]['containerPort'] == 9464\n"
			   "sc = c['securityContext']\n"
			   "assert sc.get('privileged') or {'BPF', 'PERFMON'} <= set(sc['capabilities']['add'])\n"
			   "m = {v['mountPath'] for v in c['volumeMounts']}\n"
			   "assert {'/sys/kernel/btf', '/sys/kernel/debug', '/sys/kernel/tracing'} <= m\n"
			   "host = {v['name']: v['hostPath']['path'] for v in s['volumes']}\n"
			   "assert all(host[v['name']] == v['mountPath'] for v in c['volumeMounts'])\n"
			   "assert ds['spec']['selector']['matchLabels'].items() <= "
			   "ds['spec']['template']['metadata']['labels'].items()");
	if (test__start_subtest("alloy (blocks only)")) {
		size_t len;
		char *text = golden_read("examples/alloy.alloy", &len);

		if (ASSERT_OK_PTR(text, "examples/alloy.alloy")) {
			ASSERT_TRUE(balanced(text), "braces, brackets and strings balanced");
			ASSERT_STRCONTAINS(text, "pyroscope.scrape \"memleakbpf\" {", "the scrape");
			ASSERT_STRCONTAINS(text, "\"__address__\" = \"127.0.0.1:9464\"", "the target");
			ASSERT_STRCONTAINS(text, "path    = \"/debug/pprof/heap\"", "heap");
			ASSERT_STRCONTAINS(text, "path    = \"/debug/pprof/allocs\"", "allocs");
			ASSERT_STRCONTAINS(text, "forward_to      = [pyroscope.write.default.receiver]",
					   "forwarded");
			ASSERT_STRCONTAINS(text, "pyroscope.write \"default\" {", "the receiver");
			free(text);
		}
	}
}
