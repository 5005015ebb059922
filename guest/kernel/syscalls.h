/* syscalls.h: arch/x86/include/generated/uapi/asm/unistd_64.h-alike: x86-64 syscall numbers */
#ifndef _SYSCALLS_H
#define _SYSCALLS_H

#define __NR_read		0
#define __NR_write		1
#define __NR_open		2
#define __NR_close		3
#define __NR_stat		4
#define __NR_fstat		5
#define __NR_lstat		6
#define __NR_poll		7
#define __NR_lseek		8
#define __NR_pread64		17
#define __NR_pwrite64		18
#define __NR_access		21
#define __NR_sched_yield	24
#define __NR_dup		32
#define __NR_getpid		39
#define __NR_fork		57
#define __NR_execve		59
#define __NR_uname		63
#define __NR_fsync		74
#define __NR_ftruncate		77
#define __NR_getcwd		79
#define __NR_chdir		80
#define __NR_mkdir		83
#define __NR_creat		85
#define __NR_unlink		87
#define __NR_getuid		102
#define __NR_getppid		110
#define __NR_setpriority	141
#define __NR_gettid		186

#define PRIO_PROCESS		0

#define NR_syscalls		335

#define __NEW_UTS_LEN		64

struct new_utsname {
	char sysname[__NEW_UTS_LEN + 1];
	char nodename[__NEW_UTS_LEN + 1];
	char release[__NEW_UTS_LEN + 1];
	char version[__NEW_UTS_LEN + 1];
	char machine[__NEW_UTS_LEN + 1];
	char domainname[__NEW_UTS_LEN + 1];
};

extern struct new_utsname init_uts_ns;

/* The handlers that live outside the dispatcher's file. */
struct pt_regs;
long __x64_sys_fork(const struct pt_regs *regs);		/* kernel/fork.c */
long __x64_sys_execve(const struct pt_regs *regs);	/* fs/exec.c */
long sys_ni_syscall(void);				/* kernel/sys_ni.c */
extern const char linux_banner[];

#endif /* _SYSCALLS_H */
