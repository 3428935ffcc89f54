/* user/util/privileges.c: see privileges.h (libcap-ng). */
#include <errno.h>
#include <stdbool.h>
#include <cap-ng.h>
#include <linux/capability.h>

#include "util/privileges.h"

static const int kept[] = {
	CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH,
	CAP_DAC_OVERRIDE, CAP_KILL, CAP_CHECKPOINT_RESTORE,
};

const char *privileges__kept(void)
{
	return "bpf,perfmon,sys_ptrace,dac_read_search,dac_override,kill,checkpoint_restore";
}

int privileges__drop(void)
{
	bool had[sizeof(kept) / sizeof(kept[0])];
	capng_select_t sets = CAPNG_SELECT_BOTH;
	size_t i;

	if (capng_get_caps_process())
		return -errno ? -errno : -EINVAL;
	/* the bounding set can only shrink with CAP_SETPCAP (root has it) */
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		sets = CAPNG_SELECT_CAPS;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		had[i] = capng_have_capability(CAPNG_PERMITTED, kept[i]);
	capng_clear(sets);
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (had[i] && capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, kept[i]))
			return -EINVAL;
		if (sets == CAPNG_SELECT_BOTH && capng_update(CAPNG_ADD, CAPNG_BOUNDING_SET, kept[i]))
			return -EINVAL;
	}
	return capng_apply(sets) ? -EPERM : 0;
}
