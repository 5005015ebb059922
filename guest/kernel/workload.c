/* workload.c: the bundled user space: init, sh and cat as step-at-a-time programs making syscalls */
#include "workload.h"

#define STEPS_PER_TICK	4	/* a timer interrupt every 4 steps */
#define STEPS_PER_NMI	61	/* a perf NMI every 61 steps (prime: samples drift) */
#define LOG_ROTATE_SIZE	6000
#define NR_ERRNO	80

/*
 * Each user task runs a program one syscall ("step") at a time, so that a
 * reschedule at syscall exit or at the tick switches between programs
 * exactly as it would switch between processes.
 */
struct user_program {
	const char	*name;
	void		(*step)(struct user_program *prog);
	void		(*main)(struct user_program *prog);	/* what it runs once exec'd */
	const char	*exec_path;
	struct task_struct *task;
	unsigned int	pc;
	unsigned int	spawned;	/* init: children started so far */
	unsigned int	seed;
	unsigned long	round;
	unsigned long	steps;
	int		fd;
	int		fd2;
	int		fd3;
	bool		rotate;
	long		last_len;
	u32		crc;
	u64		bytes_read;
	u64		bytes_written;
	unsigned long	errors;
	char		buf[512];
	char		line[160];
	char		path[64];
	struct stat	st;
	struct new_utsname uts;
};

static struct user_program programs[3];
static char sh_data[8192];
static unsigned long errno_counts[NR_ERRNO];
static unsigned long idle_steps;
static unsigned long kthread_steps;

static const char *const errno_names[NR_ERRNO] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EBADF] = "EBADF",
	[ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EFAULT] = "EFAULT", [EEXIST] = "EEXIST",
	[ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR", [EINVAL] = "EINVAL",
	[EMFILE] = "EMFILE", [EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC",
	[ESPIPE] = "ESPIPE", [ERANGE] = "ERANGE", [ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOSYS] = "ENOSYS", [ENXIO] = "ENXIO", [EOVERFLOW] = "EOVERFLOW", [EIO] = "EIO",
};

/* ---------------------------------------------------- the "C library" */

long syscall4(long nr, unsigned long a0, unsigned long a1, unsigned long a2,
	      unsigned long a3)
{
	struct pt_regs regs = {
		.orig_ax = nr,
		.ax	= -ENOSYS,
		.di	= a0,
		.si	= a1,
		.dx	= a2,
		.r10	= a3,
		.cs	= __USER_CS,
		.ss	= 0x2b,
		.flags	= 0x202,
	};

	do_syscall_64(&regs, (int)nr);
	return (long)regs.ax;
}

/* Note a result; negative results are errnos. */
static long ret_check(struct user_program *prog, long ret)
{
	if (ret < 0) {
		prog->errors++;
		if (-ret < NR_ERRNO)
			errno_counts[-ret]++;
	}
	return ret;
}

static void account_read(struct user_program *prog, long n)
{
	if (n > 0) {
		prog->crc = crc32_le(prog->crc, (const u8 *)prog->buf, n);
		prog->bytes_read += n;
	}
}

/* ------------------------------------------------- init: a file reader */

static const char *const reader_paths[] = {
	"/etc/passwd", "/etc/hostname", "/home/user/notes.txt", "/bin/sh",
	"/etc/shadow", "/usr/lib/modules/6.6.0-ftsim/modules.dep", "/dev/zero",
	"/etc/passwd/oops", "/var/log/messages", "/etc/motd", "/dev/null",
	"/home/user/../user/./notes.txt", "//etc///fstab", "/tmp", "/proc/cpuinfo",
	"/bin/busybox", "/sbin/init", "/dev/full",
};

static void reader_step(struct user_program *prog)
{
	unsigned long r = prog->round;
	long ret;

	switch (prog->pc) {
	case 0:
		ret = ret_check(prog, u_open(reader_paths[(r * 7 + prog->seed) % ARRAY_SIZE(reader_paths)],
					     O_RDONLY, 0));
		if (ret < 0) {
			prog->pc = 6;
		} else {
			prog->fd = ret;
			prog->pc = 1;
		}
		break;
	case 1:
		ret = ret_check(prog, u_read(prog->fd, prog->buf, 64 + (r * 37 + prog->seed) % 448));
		account_read(prog, ret);
		prog->pc = ret < 0 ? 5 : 2;
		break;
	case 2:
		switch (r % 3) {
		case SEEK_SET:
			ret = u_lseek(prog->fd, (r * 131) % 4096, SEEK_SET);
			break;
		case SEEK_CUR:
			ret = u_lseek(prog->fd, -(long)(r % 96), SEEK_CUR);
			break;
		default:
			ret = u_lseek(prog->fd, -(long)((r * 17) % 300), SEEK_END);
			break;
		}
		ret_check(prog, ret);
		prog->pc = 3;
		break;
	case 3:
		ret = ret_check(prog, u_pread(prog->fd, prog->buf, 128, (r * 61) % 9000));
		account_read(prog, ret);
		prog->pc = 4;
		break;
	case 4:
		ret = ret_check(prog, u_fstat(prog->fd, &prog->st));
		if (!ret)
			prog->crc ^= (u32)prog->st.st_size ^ (u32)prog->st.st_ino << 16;
		prog->pc = 5;
		break;
	case 5:
		ret_check(prog, u_close(prog->fd));
		prog->fd = -1;
		prog->pc = 6;
		break;
	default:
		switch (r % 4) {
		case 0:
			ret = syscall4(__NR_getpid, 0, 0, 0, 0);
			break;
		case 1:
			ret = syscall4(__NR_getppid, 0, 0, 0, 0);
			break;
		case 2:
			ret = syscall4(__NR_gettid, 0, 0, 0, 0);
			break;
		default:
			ret = syscall4(__NR_getuid, 0, 0, 0, 0);
			break;
		}
		prog->crc += (u32)ret;
		prog->round++;
		prog->pc = 0;
		break;
	}
}

/* ------------------------------------- cat: whole files to /dev/null */

static const char *const cat_paths[] = {
	"/etc/motd", "/home/user/notes.txt", "/etc/passwd", "/bin/sh",
	"/usr/lib/modules/6.6.0-ftsim/modules.dep", "/var/log/messages",
	"/bin/busybox", "/tmp/sh-1.tmp",
};

static void cat_step(struct user_program *prog)
{
	unsigned long r = prog->round;
	long ret;

	switch (prog->pc) {
	case 0:
		if (prog->fd2 < 0) {
			prog->fd2 = ret_check(prog, u_open("/dev/null", O_WRONLY, 0));
			break;
		}
		ret = ret_check(prog, u_open(cat_paths[r % ARRAY_SIZE(cat_paths)], O_RDONLY, 0));
		if (ret < 0) {
			prog->round++;
			break;
		}
		prog->fd = ret;
		prog->pc = 1;
		break;
	case 1:
		ret = ret_check(prog, u_read(prog->fd, prog->buf, 256 + (r % 5) * 50));
		account_read(prog, ret);
		prog->last_len = ret;
		prog->pc = ret > 0 ? 2 : 3;
		break;
	case 2:
		ret = ret_check(prog, u_write(prog->fd2, prog->buf, prog->last_len));
		if (ret > 0)
			prog->bytes_written += ret;
		prog->pc = 1;
		break;
	case 3:
		prog->fd3 = ret_check(prog, syscall4(__NR_dup, prog->fd, 0, 0, 0));
		prog->pc = 4;
		break;
	case 4:
		ret_check(prog, u_close(prog->fd3));
		prog->pc = 5;
		break;
	default:
		ret_check(prog, u_close(prog->fd));
		prog->fd = -1;
		prog->round++;
		prog->pc = 0;
		break;
	}
}

/* ------------------------------- sh: logs, temp files, odd syscalls */

static void sh_step(struct user_program *prog)
{
	unsigned long r = prog->round;
	long ret;

	switch (prog->pc) {
	case 0:
		if (r == 0)
			ret = u_stat("/home/user", &prog->st) ?: syscall4(__NR_chdir, UARG("/home/user"), 0, 0, 0);
		else if (r == 1 || r == 2)
			ret = syscall4(__NR_mkdir, UARG("/home/user/projects"), 0755, 0, 0);
		else
			ret = syscall4(__NR_getcwd, UARG(prog->path), sizeof(prog->path), 0, 0);
		ret_check(prog, ret);
		if (ret > 0)
			prog->crc = crc32_le(prog->crc, (const u8 *)prog->path, ret);
		prog->pc = 1;
		break;
	case 1:
		ret = ret_check(prog, u_open("/var/log/messages",
					     O_WRONLY | O_APPEND | O_CREAT | (prog->rotate ? O_TRUNC : 0),
					     0644));
		prog->rotate = false;
		if (ret < 0) {
			prog->pc = 4;
		} else {
			prog->fd = ret;
			prog->pc = 2;
		}
		break;
	case 2:
		prog->last_len = scnprintf(prog->line, sizeof(prog->line),
					   "<%d>%lu sh[%d]: round %lu crc %08x read %llu\n",
					   6, jiffies, prog->task->pid, r, prog->crc,
					   prog->bytes_read);
		ret = ret_check(prog, u_write(prog->fd, prog->line, prog->last_len));
		if (ret > 0)
			prog->bytes_written += ret;
		prog->pc = 3;
		break;
	case 3:
		ret_check(prog, u_close(prog->fd));
		prog->pc = 4;
		break;
	case 4:
		ret = ret_check(prog, u_stat("/var/log/messages", &prog->st));
		if (!ret && prog->st.st_size > LOG_ROTATE_SIZE)
			prog->rotate = true;
		prog->pc = 5;
		break;
	case 5:
		scnprintf(prog->path, sizeof(prog->path), "/tmp/sh-%lu.tmp", r % 4);
		ret = ret_check(prog, u_creat(prog->path, 0600));
		if (ret < 0) {
			prog->pc = 9;
		} else {
			prog->fd = ret;
			prog->pc = 6;
		}
		break;
	case 6:
		ret = ret_check(prog, u_write(prog->fd, sh_data, 100 + (r * 997) % 1500));
		if (ret > 0)
			prog->bytes_written += ret;
		prog->pc = 7;
		break;
	case 7:
		if (r % 3 == 0)
			ret = syscall4(__NR_ftruncate, prog->fd, (r * 997) % 800, 0, 0);
		else
			ret = syscall4(__NR_fsync, prog->fd, 0, 0, 0);
		ret_check(prog, ret);
		prog->pc = 8;
		break;
	case 8:
		ret_check(prog, u_close(prog->fd));
		prog->pc = 9;
		break;
	case 9:
		scnprintf(prog->path, sizeof(prog->path), "/tmp/sh-%lu.tmp", (r + 2) % 4);
		ret_check(prog, syscall4(__NR_unlink, UARG(prog->path), 0, 0, 0));
		prog->pc = 10;
		break;
	case 10:
		/* Relative to the cwd set in round 0. */
		ret = ret_check(prog, u_open("notes.txt", O_RDWR, 0));
		if (ret < 0) {
			prog->pc = 13;
		} else {
			prog->fd = ret;
			prog->pc = 11;
		}
		break;
	case 11:
		ret = ret_check(prog, u_pwrite(prog->fd, prog->line, prog->last_len, (r * 53) % 5000));
		if (ret > 0)
			prog->bytes_written += ret;
		prog->pc = 12;
		break;
	case 12:
		ret_check(prog, u_close(prog->fd));
		prog->pc = 13;
		break;
	case 13:
		/* Every fourth round: echo > /proc/interrupts (it has no write method: EIO). */
		if (r % 4 == 2) {
			ret = ret_check(prog, u_open("/proc/interrupts", O_WRONLY | O_CREAT | O_TRUNC,
						     0644));
			prog->fd = ret;
			prog->pc = ret < 0 ? 16 : 14;
			break;
		}
		goto last;
	case 14:
		ret_check(prog, u_write(prog->fd, "\n", 1));
		prog->pc = 15;
		break;
	case 15:
		ret_check(prog, u_close(prog->fd));
		prog->pc = 16;
		break;
	default:
	last:
		switch (r % 4) {
		case 0:
			ret = syscall4(__NR_sched_yield, 0, 0, 0, 0);
			break;
		case 1:
			ret = syscall4(__NR_uname, UARG(&prog->uts), 0, 0, 0);
			if (!ret)
				prog->crc = crc32_le(prog->crc, (const u8 *)prog->uts.release,
						     strlen(prog->uts.release));
			break;
		case 2:
			ret = syscall4(__NR_access, UARG("/bin/sh"), X_OK, 0, 0);
			break;
		default:
			/* Not implemented here, or not a syscall at all. */
			ret = syscall4((r % 8 == 3) ? 1000 : __NR_poll, 0, 0, 0, 0);
			break;
		}
		ret_check(prog, ret);
		prog->round++;
		prog->pc = 0;
		break;
	}
}

/* ------------------------------------------------------ the driver */

static void program_init(struct user_program *prog, const char *name,
			 void (*step)(struct user_program *), struct task_struct *task,
			 unsigned int seed)
{
	prog->name = name;
	prog->step = step;
	prog->main = step;
	prog->task = task;
	prog->seed = seed;
	prog->fd = prog->fd2 = prog->fd3 = -1;
	task->program = prog;
}

/* A forked child's first step: exec its program. */
static void exec_step(struct user_program *prog)
{
	long ret = syscall4(__NR_execve, UARG(prog->exec_path), 0, 0, 0);

	if (ret < 0)
		panic("%s: cannot exec %s (%ld)", prog->name, prog->exec_path, ret);
	prog->step = prog->main;
}

/*
 * What a forked child runs: the parent's program, which execs path at
 * once (the child's side of fork() + execve()).
 */
static void program_fork_init(struct user_program *prog, const char *name, const char *path,
			      void (*main)(struct user_program *), pid_t pid, unsigned int seed)
{
	struct task_struct *child = find_task_by_pid(pid);

	if (!child)
		panic("init: forked pid %d is nowhere", pid);
	program_init(prog, name, main, child, seed);
	prog->exec_path = path;
	prog->step = exec_step;
}

/* init's first steps: fork sh, fork cat, renice cat; then it reads files. */
static void init_step(struct user_program *prog)
{
	long pid;

	switch (prog->spawned++) {
	case 0:
		pid = syscall4(__NR_fork, 0, 0, 0, 0);
		if (pid < 0)
			panic("init: cannot fork sh (%ld)", pid);
		program_fork_init(&programs[1], "sh", "/bin/sh", sh_step, pid, 1);
		break;
	case 1:
		pid = syscall4(__NR_fork, 0, 0, 0, 0);
		if (pid < 0)
			panic("init: cannot fork cat (%ld)", pid);
		program_fork_init(&programs[2], "cat", "/bin/cat", cat_step, pid, 2);
		break;
	default:
		/* nice -n 5 cat */
		if (syscall4(__NR_setpriority, PRIO_PROCESS, programs[2].task->pid, 5, 0))
			panic("init: cannot renice cat");
		prog->step = reader_step;
		break;
	}
}

/* Called as init (pid 1): run `steps` steps; init's first ones start the other programs. */
void workload_run(unsigned long steps)
{
	unsigned long step, i;

	for (i = 0; i < sizeof(sh_data); i++)
		sh_data[i] = 'a' + (char)(i % 26);

	program_init(&programs[0], "init", reader_step, current, 0);
	programs[0].step = init_step;

	for (step = 0; step < steps; step++) {
		struct task_struct *p = current;

		if (p->flags & PF_IDLE) {
			idle_steps++;
		} else if (p->flags & PF_KTHREAD) {
			kthread_steps++;
			p->threadfn(p->data);
		} else {
			struct user_program *prog = p->program;

			prog->steps++;
			prog->step(prog);
		}

		if (step % STEPS_PER_TICK == STEPS_PER_TICK - 1) {
			tick_handler(NULL);
			/* Return from the interrupt to user mode: reschedule if the tick asked for it. */
			if (current->need_resched)
				schedule();
		}
		if (step % STEPS_PER_NMI == STEPS_PER_NMI - 1)
			nmi_handler(NULL);
	}
}

/* Print what the programs did; returns a digest of it. */
u32 workload_report(unsigned long steps)
{
	u32 digest[4 * ARRAY_SIZE(programs) + NR_ERRNO];
	unsigned int i, n = 0;

	pr_info("init: workload finished: %lu steps (%lu in kthreads, %lu idle)\n",
		steps, kthread_steps, idle_steps);
	for (i = 0; i < ARRAY_SIZE(programs); i++) {
		struct user_program *prog = &programs[i];

		/* A run of a step or two ends before init has forked them all. */
		if (!prog->task)
			continue;
		pr_info("init: %-4s pid %d: %6lu steps %5lu rounds, read %7llu bytes, wrote %7llu bytes, %5lu errors, crc32 %08x\n",
			prog->name, prog->task->pid, prog->steps, prog->round,
			prog->bytes_read, prog->bytes_written, prog->errors, prog->crc);
		digest[n++] = prog->crc;
		digest[n++] = (u32)prog->bytes_read;
		digest[n++] = (u32)prog->bytes_written;
		digest[n++] = (u32)prog->steps;
	}
	pr_info("init: errors:");
	for (i = 0; i < NR_ERRNO; i++) {
		if (!errno_counts[i])
			continue;
		pr_cont(" %s=%lu", errno_names[i] ? errno_names[i] : "?", errno_counts[i]);
		digest[n++] = (u32)errno_counts[i];
	}
	pr_cont("\n");
	return jhash2(digest, n, (u32)steps);
}
