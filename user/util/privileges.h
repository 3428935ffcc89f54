/* user/util/privileges.h: the capabilities a run keeps once its probes are
 * attached.
 */
#ifndef PRIVILEGES_H
#define PRIVILEGES_H

/* Keep only what the rest of a run uses, in every set (effective,
 * permitted, inheritable, bounding: an exec cannot bring the others back):
 *   CAP_BPF, CAP_PERFMON      probes on allocators found later (dlopen,
 *                             new processes), BPF map reads
 *   CAP_SYS_PTRACE            /proc/PID/maps, /proc/PID/root of any process
 *   CAP_DAC_READ_SEARCH       the files they map (ELF, debug files)
 *   CAP_DAC_OVERRIDE          exports written where the user asked
 *   CAP_KILL                  holding and releasing processes (SIGSTOP,
 *                             SIGCONT), ending the command
 *   CAP_CHECKPOINT_RESTORE    /proc/PID/map_files: a mapped file deleted or
 *                             replaced on disk since (CAP_SYS_ADMIN otherwise)
 * Returns 0, or -errno (the run goes on with what it had; the caller warns).
 */
int privileges__drop(void);

/* "bpf,perfmon,...": what privileges__drop() keeps, for -v. */
const char *privileges__kept(void);

#endif /* PRIVILEGES_H */
