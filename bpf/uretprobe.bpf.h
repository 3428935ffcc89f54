/* bpf/uretprobe.bpf.h: a return address that another return probe holds.
 *
 * When a return probe's breakpoint is hit, the kernel replaces the return
 * address at [rsp] with its trampoline (the first slot of the process's
 * uprobe area) and keeps the original in the task's newest return
 * instance.  memleakbpf's entry and return probes of a function share one
 * breakpoint, where the entry program runs before the swap; but another
 * tool's return probe at an earlier offset of the same function (its first
 * byte, where ours may not be: user/target/probeplace.c) has swapped it
 * already when our entry program reads the caller.  (With the same offset,
 * a return probe of a call in flight deeper down swaps it later.)
 */
#ifndef URETPROBE_BPF_H
#define URETPROBE_BPF_H

/* Where the kernel sends a call whose return a uprobe took (the return
 * address it put in place of the caller's): the process's uprobe area.
 */
static __always_inline __u64 uprobe_trampoline(struct task_struct *task)
{
	struct xol_area *area;
	struct mm_struct *mm;

	/* Direct loads, not BPF_CORE_READ: a helper call each costs ~40 ns
	 * here (the SRSO return thunk), and this runs at every allocation.
	 */
	mm = task->mm;
	if (!mm)
		return 0;
	area = mm->uprobes_state.xol_area;
	return area ? area->vaddr : 0;
}

#define URETPROBE_SCAN 8	/* return instances looked at: probed calls in flight */

/* ra, read at ra_at; the caller's own return address if ra is the
 * trampoline a return probe put there: from the task's newest return
 * instance for ra_at (newer ones may be for calls deeper down).
 */
static __always_inline __u64 uretprobe_original(struct task_struct *task, __u64 ra, __u64 ra_at)
{
	struct return_instance *ri;
	__u64 tramp = uprobe_trampoline(task);
	int i;

	if (!tramp || tramp != ra)
		return ra;
	if (!task->utask)
		return ra;
	ri = task->utask->return_instances;
	for (i = 0; i < URETPROBE_SCAN; i++) {
		if (!ri)
			break;
		if (ri->stack == ra_at)
			return ri->orig_ret_vaddr;
		ri = ri->next;
	}
	return ra;
}

/* The same in window, a copy of the stack from sp on, before any walk
 * reads it (once per stack, outside the walk's loop).
 */
static __always_inline void uretprobe_restore(struct task_struct *task, __u8 *window, __u64 sp,
					      __u64 ra_at)
{
	__u64 off = ra_at - sp, *slot;

	if (off > ML_STACK_WINDOW - 8)
		return;
	slot = (__u64 *)(window + (off & (ML_STACK_WINDOW - 1) & ~7ULL));
	*slot = uretprobe_original(task, *slot, ra_at);
}

#endif /* URETPROBE_BPF_H */
