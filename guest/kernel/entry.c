/* entry.c: arch/x86/entry/{common,syscall_64}.c + the sys_* wrappers: syscall entry and dispatch */
#include "fs.h"
#include "sched.h"
#include "syscalls.h"

unsigned long nr_syscalls_total;
unsigned long nr_syscalls_failed;
static unsigned long syscall_counts[NR_syscalls];
static unsigned long syscall_errors[NR_syscalls];
static unsigned long nr_bad_syscalls;

static long __x64_sys_read(const struct pt_regs *regs)
{
	return ksys_read((unsigned int)regs->di, (char __user *)regs->si, regs->dx);
}

static long __x64_sys_write(const struct pt_regs *regs)
{
	return ksys_write((unsigned int)regs->di, (const char __user *)regs->si, regs->dx);
}

static long __x64_sys_open(const struct pt_regs *regs)
{
	return do_sys_open(AT_FDCWD, (const char __user *)regs->di, (int)regs->si,
			   (umode_t)regs->dx);
}

static long __x64_sys_close(const struct pt_regs *regs)
{
	return close_fd((unsigned int)regs->di);
}

static long __x64_sys_newstat(const struct pt_regs *regs)
{
	struct kstat stat;
	int error = vfs_stat((const char __user *)regs->di, &stat);

	if (error)
		return error;
	return cp_new_stat(&stat, (struct stat __user *)regs->si);
}

static long __x64_sys_newfstat(const struct pt_regs *regs)
{
	struct kstat stat;
	int error = vfs_fstat((unsigned int)regs->di, &stat);

	if (error)
		return error;
	return cp_new_stat(&stat, (struct stat __user *)regs->si);
}

static long __x64_sys_lseek(const struct pt_regs *regs)
{
	return ksys_lseek((unsigned int)regs->di, (loff_t)regs->si, (unsigned int)regs->dx);
}

static long __x64_sys_pread64(const struct pt_regs *regs)
{
	return ksys_pread64((unsigned int)regs->di, (char __user *)regs->si, regs->dx,
			    (loff_t)regs->r10);
}

static long __x64_sys_pwrite64(const struct pt_regs *regs)
{
	return ksys_pwrite64((unsigned int)regs->di, (const char __user *)regs->si, regs->dx,
			     (loff_t)regs->r10);
}

static long __x64_sys_access(const struct pt_regs *regs)
{
	return do_faccessat(AT_FDCWD, (const char __user *)regs->di, (int)regs->si);
}

static long __x64_sys_sched_yield(const struct pt_regs *regs)
{
	(void)regs;
	return do_sched_yield();
}

static long __x64_sys_dup(const struct pt_regs *regs)
{
	return ksys_dup((unsigned int)regs->di);
}

static long __x64_sys_getpid(const struct pt_regs *regs)
{
	(void)regs;
	return current->tgid;
}

static long __x64_sys_newuname(const struct pt_regs *regs)
{
	if (copy_to_user((void __user *)regs->di, &init_uts_ns, sizeof(init_uts_ns)))
		return -EFAULT;
	return 0;
}

static long __x64_sys_fsync(const struct pt_regs *regs)
{
	return ksys_fsync((unsigned int)regs->di);
}

static long __x64_sys_ftruncate(const struct pt_regs *regs)
{
	return do_sys_ftruncate((unsigned int)regs->di, (loff_t)regs->si);
}

static long __x64_sys_getcwd(const struct pt_regs *regs)
{
	return ksys_getcwd((char __user *)regs->di, regs->si);
}

static long __x64_sys_chdir(const struct pt_regs *regs)
{
	return ksys_chdir((const char __user *)regs->di);
}

static long __x64_sys_mkdir(const struct pt_regs *regs)
{
	return do_mkdirat(AT_FDCWD, getname((const char __user *)regs->di), (umode_t)regs->si);
}

static long __x64_sys_creat(const struct pt_regs *regs)
{
	return do_sys_open(AT_FDCWD, (const char __user *)regs->di,
			   O_CREAT | O_WRONLY | O_TRUNC, (umode_t)regs->si);
}

static long __x64_sys_unlink(const struct pt_regs *regs)
{
	return do_unlinkat(AT_FDCWD, getname((const char __user *)regs->di));
}

static long __x64_sys_getuid(const struct pt_regs *regs)
{
	(void)regs;
	return 0;
}

static long __x64_sys_getppid(const struct pt_regs *regs)
{
	(void)regs;
	return current->real_parent->tgid;
}

static long __x64_sys_gettid(const struct pt_regs *regs)
{
	(void)regs;
	return current->pid;
}

static long __x64_sys_ni_syscall(const struct pt_regs *regs)
{
	(void)regs;
	return sys_ni_syscall();
}

/* setpriority(PRIO_PROCESS, pid, nice): renice a task (0: the caller). */
static long __x64_sys_setpriority(const struct pt_regs *regs)
{
	pid_t who = (pid_t)regs->si;
	struct task_struct *p;

	if ((int)regs->di != PRIO_PROCESS)
		return -EINVAL;
	p = who ? find_task_by_pid(who) : current;
	if (!p)
		return -ESRCH;
	set_user_nice(p, (long)(int)regs->dx);
	return 0;
}

/* The syscall table as a switch, as the kernel has done since 6.9. */
long x64_sys_call(const struct pt_regs *regs, unsigned int nr)
{
	switch (nr) {
	case __NR_read:		return __x64_sys_read(regs);
	case __NR_write:	return __x64_sys_write(regs);
	case __NR_open:		return __x64_sys_open(regs);
	case __NR_close:	return __x64_sys_close(regs);
	case __NR_stat:		return __x64_sys_newstat(regs);
	case __NR_fstat:	return __x64_sys_newfstat(regs);
	case __NR_lstat:	return __x64_sys_newstat(regs);	/* no symlinks here */
	case __NR_lseek:	return __x64_sys_lseek(regs);
	case __NR_pread64:	return __x64_sys_pread64(regs);
	case __NR_pwrite64:	return __x64_sys_pwrite64(regs);
	case __NR_access:	return __x64_sys_access(regs);
	case __NR_sched_yield:	return __x64_sys_sched_yield(regs);
	case __NR_dup:		return __x64_sys_dup(regs);
	case __NR_getpid:	return __x64_sys_getpid(regs);
	case __NR_fork:		return __x64_sys_fork(regs);
	case __NR_execve:	return __x64_sys_execve(regs);
	case __NR_uname:	return __x64_sys_newuname(regs);
	case __NR_fsync:	return __x64_sys_fsync(regs);
	case __NR_ftruncate:	return __x64_sys_ftruncate(regs);
	case __NR_getcwd:	return __x64_sys_getcwd(regs);
	case __NR_chdir:	return __x64_sys_chdir(regs);
	case __NR_mkdir:	return __x64_sys_mkdir(regs);
	case __NR_creat:	return __x64_sys_creat(regs);
	case __NR_unlink:	return __x64_sys_unlink(regs);
	case __NR_getuid:	return __x64_sys_getuid(regs);
	case __NR_getppid:	return __x64_sys_getppid(regs);
	case __NR_setpriority:	return __x64_sys_setpriority(regs);
	case __NR_gettid:	return __x64_sys_gettid(regs);
	default:		return __x64_sys_ni_syscall(regs);
	}
}

static const char *syscall_name(unsigned int nr)
{
	switch (nr) {
	case __NR_read:		return "read";
	case __NR_write:	return "write";
	case __NR_open:		return "open";
	case __NR_close:	return "close";
	case __NR_stat:		return "stat";
	case __NR_fstat:	return "fstat";
	case __NR_lstat:	return "lstat";
	case __NR_poll:		return "poll";
	case __NR_lseek:	return "lseek";
	case __NR_pread64:	return "pread64";
	case __NR_pwrite64:	return "pwrite64";
	case __NR_access:	return "access";
	case __NR_sched_yield:	return "sched_yield";
	case __NR_dup:		return "dup";
	case __NR_getpid:	return "getpid";
	case __NR_fork:		return "fork";
	case __NR_execve:	return "execve";
	case __NR_uname:	return "uname";
	case __NR_fsync:	return "fsync";
	case __NR_ftruncate:	return "ftruncate";
	case __NR_getcwd:	return "getcwd";
	case __NR_chdir:	return "chdir";
	case __NR_mkdir:	return "mkdir";
	case __NR_creat:	return "creat";
	case __NR_unlink:	return "unlink";
	case __NR_getuid:	return "getuid";
	case __NR_getppid:	return "getppid";
	case __NR_setpriority:	return "setpriority";
	case __NR_gettid:	return "gettid";
	default:		return "?";
	}
}

static int syscall_enter_from_user_mode(struct pt_regs *regs, int nr)
{
	(void)regs;
	current->nr_syscalls++;
	nr_syscalls_total++;
	return nr;
}

/*
 * On the way out: note failures and run RCU callbacks whose grace period
 * is over (still under the BKL); then, without it, report the quiescent
 * state and reschedule if the tick asked for it.
 */
static void syscall_exit_to_user_mode(struct pt_regs *regs, int nr)
{
	if (IS_ERR_VALUE(regs->ax)) {
		nr_syscalls_failed++;
		if ((unsigned int)nr < NR_syscalls)
			syscall_errors[nr]++;
	}
	rcu_process_callbacks();
	unlock_kernel();
	rcu_note_quiescent_state();
	if (current->need_resched)
		schedule();
}

/*
 * Every system call runs under the big kernel lock, interrupts off: the
 * VFS, the caches and allocators below assume one CPU at a time in them.
 */
void do_syscall_64(struct pt_regs *regs, int nr)
{
	lock_kernel();
	nr = syscall_enter_from_user_mode(regs, nr);
	if (likely((unsigned int)nr < NR_syscalls)) {
		syscall_counts[nr]++;
		regs->ax = x64_sys_call(regs, nr);
	} else {
		nr_bad_syscalls++;
		regs->ax = __x64_sys_ni_syscall(regs);
	}
	syscall_exit_to_user_mode(regs, nr);
}

void syscall_show_stats(void)
{
	unsigned int nr;

	pr_info("syscalls: %lu total, %lu failed, %lu out of range\n",
		nr_syscalls_total, nr_syscalls_failed, nr_bad_syscalls);
	for (nr = 0; nr < NR_syscalls; nr++) {
		if (!syscall_counts[nr])
			continue;
		pr_info("syscalls: %3u %-12s %7lu calls %6lu errors\n", nr, syscall_name(nr),
			syscall_counts[nr], syscall_errors[nr]);
	}
}
