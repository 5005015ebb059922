/* main.c: init/main.c-alike: start_kernel, rest_init, kernel_init and the initcalls */
#include "fs.h"
#include "sched.h"
#include "syscalls.h"
#include "console.h"

/*
 * Steps of the workload run by init.  A host tool may poke this before
 * boot (it lives in .data under this symbol name).
 */
#ifndef DEFAULT_WORKLOAD_ITERATIONS
#define DEFAULT_WORKLOAD_ITERATIONS	3000
#endif
volatile unsigned long workload_iterations = DEFAULT_WORKLOAD_ITERATIONS;

/* Steps of each SMP worker (init/workload_smp.c); poke-able the same way. */
#ifndef DEFAULT_SMP_WORKLOAD_ITERATIONS
#define DEFAULT_SMP_WORKLOAD_ITERATIONS	400
#endif
volatile unsigned long smp_workload_iterations = DEFAULT_SMP_WORKLOAD_ITERATIONS;

unsigned long boot_cpu_id;
static char boot_command_line[] = "console=debugcon0 loglevel=7 init=/sbin/init";

typedef int (*initcall_t)(void);

static int __init crc32_selftest(void)
{
	static const char check[] = "123456789";
	u32 crc = crc32_le(~0U, (const u8 *)check, sizeof(check) - 1) ^ ~0U;

	if (crc != 0xcbf43926) {
		pr_err("crc32: self tests failed (got %08x)\n", crc);
		return -EINVAL;
	}
	pr_info("crc32: CRC_LE_BITS = 8, self tests passed\n");
	return 0;
}

static int __init crc32_init_call(void)
{
	crc32_init();
	return 0;
}

/* In link order, as do_initcalls() would find them. */
static initcall_t __initdata initcalls[] = {
	crc32_init_call,	/* core_initcall */
	rcu_spawn_gp_kthread,	/* early_initcall */
	spawn_ksoftirqd,	/* early_initcall */
	default_bdi_init,	/* subsys_initcall */
	populate_rootfs,	/* rootfs_initcall */
	proc_interrupts_init,	/* fs_initcall, once /proc exists */
	crc32_selftest,		/* late_initcall */
};

static void __init do_initcalls(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(initcalls); i++) {
		int ret = initcalls[i]();

		if (ret)
			pr_warn("initcall %u returned %d\n", i, ret);
	}
}

/* The hypervisor tells us which CPU we are (not printed: output must not depend on it). */
static void __init smp_setup_processor_id(void)
{
	boot_cpu_id = ftsim_cpu_id();
	(void)ftsim_hypercall0(HC_NOP);
}

static void __init setup_arch(void)
{
	pr_info("Command line: %s\n", boot_command_line);
	pr_info("Hypervisor detected: ftsim\n");
	pr_info("x86/fpu: kernel built with -mgeneral-regs-only, no FPU state in use\n");
}

static void __init mm_core_init(void)
{
	page_alloc_init();
	kmem_cache_init();
}

static void __init vfs_caches_init(void)
{
	dcache_init();
	inode_init();
	files_init();
	names_cache_init();
	init_rootfs();
}

static int run_init_process(const char *init_filename)
{
	pr_info("Run %s as init process\n", init_filename);
	return kernel_execve(init_filename);
}

struct fs_walk_state {
	char		path[PATH_MAX];
	unsigned long	files;
	unsigned long	dirs;
	unsigned long	bytes;
	u32		hash;
};

static int print_dentry(struct dentry *dentry, int depth, void *data)
{
	struct fs_walk_state *ws = data;
	struct inode *inode = dentry->d_inode;
	char type = S_ISDIR(inode->i_mode) ? 'd' : S_ISCHR(inode->i_mode) ? 'c' : '-';

	if (d_path(dentry, ws->path, sizeof(ws->path)) < 0)
		return -ENAMETOOLONG;
	if (type == 'd')
		ws->dirs++;
	else
		ws->files++;
	ws->bytes += inode->i_size;
	ws->hash = jhash(ws->path, strlen(ws->path), ws->hash ^ (u32)inode->i_size);
	pr_info("ramfs: %c%04o %2u %6lu %7lld %2lu %*s%s\n", type, inode->i_mode & 07777,
		inode->i_nlink, inode->i_ino, inode->i_size, inode->i_data.nrpages,
		depth * 2, "", ws->path);
	return 0;
}

static u32 __init show_rootfs(void)
{
	static struct fs_walk_state ws;
	unsigned long nr_dentry, nr_negative;

	pr_info("ramfs: MODE   NLINK  INODE    SIZE PG PATH\n");
	d_walk(ramfs_sb->s_root, print_dentry, &ws);
	dcache_stats(&nr_dentry, &nr_negative);
	pr_info("ramfs: %lu files, %lu directories, %lu bytes; %lu inodes, %lu dentries (%lu negative)\n",
		ws.files, ws.dirs, ws.bytes, ramfs_sb->s_nr_inodes, nr_dentry, nr_negative);
	pr_info("ramfs: writeback: %lu flusher wakeups, %lu inodes, %lu pages; deepest path walk %lu\n",
		wb_wakeups, nr_inodes_written, ramfs_pages_written_back, namei_max_depth);
	return ws.hash;
}

static int __init kernel_init(void *unused)
{
	unsigned long steps = workload_iterations;
	u32 digest[8];

	(void)unused;
	do_initcalls();
	if (run_init_process("/sbin/init"))
		panic("No working init found.");

	workload_run(steps);

	/* Let deferred frees finish before counting objects. */
	rcu_barrier();

	digest[0] = workload_report(steps);
	syscall_show_stats();
	sched_show_tasks();
	digest[1] = show_rootfs();
	slabinfo_show();
	timers_show_stats();
	softirq_show_stats();
	nmi_show_stats();
	pr_info("rcu: %lu grace periods, %lu callbacks invoked\n",
		rcu_gp_completed, rcu_callbacks_invoked);
	pr_info("Memory: %luK/%luK free, %lu files open\n",
		nr_free_pages() << (PAGE_SHIFT - 10), totalram_pages() << (PAGE_SHIFT - 10),
		nr_files_open);
	digest[2] = (u32)nr_syscalls_total;
	digest[3] = (u32)nr_context_switches;
	digest[4] = (u32)nr_free_pages();
	digest[5] = (u32)jiffies;
	digest[6] = (u32)workload_nmi.nmis;
	digest[7] = (u32)printk_records_stored;
	pr_info("ftsim: workload checksum %08x\n", jhash2(digest, ARRAY_SIZE(digest), 0));
	return 0;
}

static noinline void __init rest_init(void)
{
	pid_t pid;

	/* pid 1 becomes init; kthreadd is pid 2. */
	pid = user_mode_thread(kernel_init, NULL, CLONE_FS);
	if (pid < 0)
		panic("rest_init: cannot create init (%d)", pid);
	pid = kernel_thread(kthreadd, NULL, "kthreadd", CLONE_FS | CLONE_FILES);
	if (pid < 0)
		panic("rest_init: cannot create kthreadd (%d)", pid);
	kthreadd_init(pid);
	schedule();		/* the boot task becomes idle; pid 1 runs */
	kernel_init(NULL);
}

/*
 * The boot CPU runs the single-CPU boot and workload; then the other CPUs
 * come up, workers are spawned on every CPU, and the boot task ends (its
 * CPU goes on with the workers queued there).  The last worker to finish
 * prints the SMP report and "System halted".
 */
void __init start_kernel(void)
{
	unsigned int ncpus;

	smp_setup_processor_id();
	setup_thread_info(&init_task, boot_cpu_id);
	pr_notice("%s", linux_banner);
	setup_arch();
	pr_notice("Kernel command line: %s\n", boot_command_line);
	mm_core_init();
	sched_init();
	fork_init();
	rcu_init();
	init_timers();
	softirq_init();
	time_init();
	console_init();
	pr_info("pid_max: default: 32768 minimum: 301\n");
	vfs_caches_init();
	lockup_detector_init();
	rest_init();
	check_stack_end();

	ncpus = smp_init();
	smp_workload_start(ncpus);
	ftsim_exit();
}
