/* workload_smp.c: the SMP phase's user space: worker tasks, two per CPU, making syscalls on their own and shared files */
#include "workload.h"

#define SMP_WORKERS_PER_CPU	2
#define SMP_MAX_WORKERS		64	/* one page of file each must fit the page pool */
#define SMP_FILE_SIZE		4096	/* a worker's own file stays within one page */
#define SMP_BUF_SIZE		512
#define SMP_THINK_BYTES		256	/* user-mode work per step, outside the BKL */

/*
 * Each worker runs on one CPU as a task of its own, with interrupts on
 * between system calls, so the tick preempts it in favour of the other
 * worker on its CPU and the CPUs contend for the BKL.  A worker only
 * writes its own files and reads files nobody writes any more, and its
 * checksum covers only what its own calls return (never inode numbers or
 * times), so it does not depend on the interleaving.  Nothing prints
 * until the last worker is done.
 */
struct smp_worker {
	unsigned int	id;
	unsigned int	cpu;
	struct task_struct *task;
	unsigned int	pc;
	int		fd;
	int		fd2;
	u64		lcg;
	unsigned long	steps;
	unsigned long	rounds;
	unsigned long	syscalls;
	unsigned long	errors;
	u64		bytes_read;
	u64		bytes_written;
	u32		crc;
	char		path[32];
	u8		buf[SMP_BUF_SIZE];
	struct stat	st;
	struct new_utsname uts;
} __aligned(64);

/*
 * Boot option: set (by the host, before boot, as smp_workload_iterations is)
 * to keep every worker going until the machine stops, so that a kernel whose
 * tracefs is mounted has live activity to trace.  The report then never comes.
 */
volatile unsigned long smp_workload_loop;

static struct smp_worker smp_workers[SMP_MAX_WORKERS];
static unsigned int nr_smp_workers;
static atomic_t smp_workers_running;

/* Read by every worker; nobody writes them after the boot workload. */
static const char *const smp_shared_paths[] = {
	"/etc/passwd", "/home/user/notes.txt", "/bin/sh", "/sbin/init", "/bin/busybox",
	"/etc/motd", "/dev/zero", "/usr/lib/modules/6.6.0-ftsim/modules.dep",
	"/var/log/messages", "/proc/cpuinfo", "/etc/passwd/oops", "/dev/null",
	"/tmp/sh-2.tmp", "/etc", "/etc/hostname",
};

/* ------------------------------------------------ user-mode work */

/* Fill the buffer from the worker's own 64-bit LCG. */
static void smp_fill(struct smp_worker *w, size_t n)
{
	u64 x = w->lcg;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		w->buf[i] = (u8)(x >> 56);
	}
	w->lcg = x;
}

/*
 * What a program does between system calls: here, count the words and
 * lines at the start of its buffer, like wc.  It runs with interrupts on,
 * outside the BKL, so the CPUs get real work done in parallel.
 */
static void smp_think(struct smp_worker *w)
{
	unsigned int i, words = 0, lines = 0;
	bool in_word = false;

	for (i = 0; i < SMP_THINK_BYTES; i++) {
		u8 c = w->buf[i];

		if (c == '\n')
			lines++;
		if (c <= ' ' || c >= 0x7f) {
			in_word = false;
		} else if (!in_word) {
			in_word = true;
			words++;
		}
	}
	w->crc += words * 65599 + lines;
}

/* Every result goes into the checksum; negative results are errnos. */
static long smp_ret(struct smp_worker *w, long ret)
{
	w->syscalls++;
	if (ret < 0)
		w->errors++;
	w->crc = crc32_le(w->crc, (const u8 *)&ret, sizeof(ret));
	return ret;
}

static void smp_account_read(struct smp_worker *w, long n)
{
	if (n > 0) {
		w->crc = crc32_le(w->crc, w->buf, n);
		w->bytes_read += n;
	}
}

/* What a stat says that depends only on the file's contents and kind. */
static void smp_account_stat(struct smp_worker *w, long ret)
{
	u32 v[4];

	if (ret)
		return;
	v[0] = (u32)w->st.st_size;
	v[1] = (u32)w->st.st_blocks;
	v[2] = w->st.st_mode;
	v[3] = (u32)w->st.st_nlink;
	w->crc = jhash2(v, ARRAY_SIZE(v), w->crc);
}

/* --------------------------------------------------------- a step */

static void smp_worker_step(struct smp_worker *w)
{
	unsigned long r = w->rounds;
	const char *shared = smp_shared_paths[(r * 7 + w->id) % ARRAY_SIZE(smp_shared_paths)];
	long ret, len, off;

	switch (w->pc) {
	case 0:
		/* Its own file, truncated every fourth round. */
		ret = smp_ret(w, u_open(w->path, O_RDWR | O_CREAT | (r % 4 == 0 ? O_TRUNC : 0), 0600));
		if (ret < 0) {
			w->pc = 6;
		} else {
			w->fd = ret;
			w->pc = 1;
		}
		break;
	case 1:
		len = 64 + (r * 131 + w->id * 17) % (SMP_BUF_SIZE - 64);
		off = (r * 389 + w->id * 97) % (SMP_FILE_SIZE - SMP_BUF_SIZE);
		smp_fill(w, len);
		ret = smp_ret(w, u_pwrite(w->fd, w->buf, len, off));
		if (ret > 0)
			w->bytes_written += ret;
		w->pc = 2;
		break;
	case 2:
		switch (r % 3) {
		case SEEK_SET:
			ret = u_lseek(w->fd, (r * 211) % SMP_FILE_SIZE, SEEK_SET);
			break;
		case SEEK_CUR:
			ret = u_lseek(w->fd, (long)(r % 700), SEEK_CUR);
			break;
		default:
			ret = u_lseek(w->fd, -(long)((r * 29) % 900), SEEK_END);
			break;
		}
		smp_ret(w, ret);
		w->pc = 3;
		break;
	case 3:
		ret = smp_ret(w, u_read(w->fd, w->buf, 128 + (r * 53) % (SMP_BUF_SIZE - 128)));
		smp_account_read(w, ret);
		w->pc = 4;
		break;
	case 4:
		ret = smp_ret(w, u_fstat(w->fd, &w->st));
		smp_account_stat(w, ret);
		w->pc = 5;
		break;
	case 5:
		smp_ret(w, u_close(w->fd));
		w->fd = -1;
		w->pc = 6;
		break;
	case 6:
		ret = smp_ret(w, u_open(shared, O_RDONLY, 0));
		if (ret < 0) {
			w->pc = 10;
		} else {
			w->fd2 = ret;
			w->pc = 7;
		}
		break;
	case 7:
		ret = smp_ret(w, u_pread(w->fd2, w->buf, 256, (r * 97) % 7000));
		smp_account_read(w, ret);
		w->pc = 8;
		break;
	case 8:
		ret = smp_ret(w, u_read(w->fd2, w->buf, SMP_BUF_SIZE));
		smp_account_read(w, ret);
		w->pc = 9;
		break;
	case 9:
		smp_ret(w, u_close(w->fd2));
		w->fd2 = -1;
		w->pc = 10;
		break;
	case 10:
		ret = smp_ret(w, u_stat(r % 2 ? shared : w->path, &w->st));
		smp_account_stat(w, ret);
		w->pc = 11;
		break;
	case 11:
		/* Every fourth round: poke /proc/interrupts, which refuses writes (EIO). */
		if (r % 4 == 1) {
			ret = smp_ret(w, u_open("/proc/interrupts", O_WRONLY, 0));
			w->fd = ret;
			w->pc = ret < 0 ? 14 : 12;
			break;
		}
		goto last;
	case 12:
		smp_ret(w, u_write(w->fd, "\n", 1));
		w->pc = 13;
		break;
	case 13:
		smp_ret(w, u_close(w->fd));
		w->fd = -1;
		w->pc = 14;
		break;
	default:
	last:
		switch (r % 8) {
		case 0:
			ret = syscall4(__NR_getpid, 0, 0, 0, 0);
			break;
		case 4:
			/* A helper process: every task slot is taken, so EAGAIN. */
			ret = syscall4(__NR_fork, 0, 0, 0, 0);
			break;
		case 1:
			ret = syscall4(__NR_getppid, 0, 0, 0, 0);
			break;
		case 2:
			ret = syscall4(__NR_gettid, 0, 0, 0, 0);
			break;
		case 3:
			ret = syscall4(__NR_sched_yield, 0, 0, 0, 0);
			break;
		case 5:
			ret = syscall4(__NR_uname, UARG(&w->uts), 0, 0, 0);
			if (!ret)
				w->crc = crc32_le(w->crc, (const u8 *)w->uts.release,
						  strlen(w->uts.release));
			break;
		case 6:
			ret = syscall4(__NR_getuid, 0, 0, 0, 0);
			break;
		default:
			/* Gone: the next round creates it afresh. */
			ret = u_unlink(w->path);
			break;
		}
		smp_ret(w, ret);
		w->rounds++;
		w->pc = 0;
		break;
	}
}

/* ----------------------------------------------------- the driver */

static void smp_workload_report(void)
{
	u32 digest[4 * SMP_MAX_WORKERS];
	unsigned long steps = 0, syscalls = 0, errors = 0;
	u64 bytes_read = 0, bytes_written = 0;
	unsigned int i, n = 0;

	for (i = 0; i < nr_smp_workers; i++) {
		struct smp_worker *w = &smp_workers[i];

		pr_info("smp: worker %2u pid %3d CPU %2u: %5lu steps %4lu rounds, %5lu syscalls (%4lu failed), read %7llu bytes, wrote %7llu bytes, crc32 %08x\n",
			w->id, w->task->pid, w->cpu, w->steps, w->rounds, w->syscalls,
			w->errors, w->bytes_read, w->bytes_written, w->crc);
		steps += w->steps;
		syscalls += w->syscalls;
		errors += w->errors;
		bytes_read += w->bytes_read;
		bytes_written += w->bytes_written;
		digest[n++] = w->crc;
		digest[n++] = (u32)w->syscalls;
		digest[n++] = (u32)w->bytes_read;
		digest[n++] = (u32)w->bytes_written;
	}
	pr_info("smp: %u workers done: %lu steps, %lu syscalls (%lu failed), read %llu bytes, wrote %llu bytes\n",
		nr_smp_workers, steps, syscalls, errors, bytes_read, bytes_written);
	pr_info("smp: workload checksum %08x\n", jhash2(digest, n, nr_smp_workers));
	pr_notice("reboot: System halted\n");
}

static int smp_worker_fn(void *arg)
{
	struct smp_worker *w = arg;
	unsigned long step, steps = smp_workload_iterations;

	setup_thread_info(w->task, w->cpu);
	for (step = 0; smp_workload_loop || step < steps; step++) {
		w->steps++;
		smp_worker_step(w);
		smp_think(w);
	}
	if (w->fd >= 0)
		smp_ret(w, u_close(w->fd));
	if (w->fd2 >= 0)
		smp_ret(w, u_close(w->fd2));
	check_stack_end();

	/* The last one out reports (the locked decrement orders our results before it). */
	if (atomic_dec_and_test(&smp_workers_running))
		smp_workload_report();
	return 0;
}

/* Called by the boot task once the secondary CPUs are up. */
void __init smp_workload_start(unsigned int ncpus)
{
	struct task_struct *init = find_task_by_pid(1);
	unsigned int i, n = min(ncpus * SMP_WORKERS_PER_CPU, (unsigned int)SMP_MAX_WORKERS);
	char comm[TASK_COMM_LEN];

	if (!init)
		panic("smp: no init task");
	lock_kernel();
	for (i = 0; i < n; i++) {
		struct smp_worker *w = &smp_workers[i];

		w->id = i;
		w->cpu = i % ncpus;
		w->fd = w->fd2 = -1;
		w->lcg = 0x5eed0000ULL + i;
		snprintf(comm, sizeof(comm), "worker/%u:%u", w->cpu, i / ncpus);
		snprintf(w->path, sizeof(w->path), "/tmp/smp-%02u.dat", i);
		w->task = create_host_task(comm, init);
		if (IS_ERR(w->task))
			panic("smp: cannot create %s (%ld)", comm, PTR_ERR(w->task));
	}
	unlock_kernel();
	nr_smp_workers = n;
	atomic_set(&smp_workers_running, n);
	if (smp_workload_loop)
		pr_info("smp: starting %u workers on %u CPUs, looping until the machine stops\n",
			n, ncpus);
	else
		pr_info("smp: starting %u workers on %u CPUs, %lu steps each\n", n, ncpus,
			smp_workload_iterations);

	/* Natively each one runs to completion right here. */
	for (i = 0; i < n; i++) {
		long pid = ftsim_spawn(smp_worker_fn, &smp_workers[i], smp_workers[i].cpu);

		if (pid < 0)
			panic("smp: cannot spawn worker %u on CPU %u (%ld)", i,
			      smp_workers[i].cpu, pid);
	}
}
