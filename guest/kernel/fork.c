/* fork.c: kernel/fork.c-alike: copy_process, kernel_clone, kernel_thread, user_mode_thread and the fork system call */
#include "fs.h"
#include "sched.h"

static struct kmem_cache *task_struct_cachep;
static pid_t last_pid;
unsigned long total_forks;

void __init fork_init(void)
{
	task_struct_cachep = kmem_cache_create("task_struct", sizeof(struct task_struct),
					       L1_CACHE_BYTES, SLAB_PANIC | SLAB_ACCOUNT, NULL);
}

/* A copy of the parent, made the child's own; not on any run queue yet. */
static struct task_struct *dup_task_struct(struct task_struct *parent, unsigned int flags)
{
	struct task_struct *p = kmem_cache_alloc(task_struct_cachep, GFP_KERNEL);

	if (!p)
		return ERR_PTR(-ENOMEM);

	*p = *parent;
	p->need_resched = 0;
	p->utime = p->stime = 0;
	p->nvcsw = p->nivcsw = 0;
	p->nr_syscalls = p->nr_wakeups = 0;
	p->sum_exec_runtime = 0;
	p->ioac = (struct task_io_accounting){ 0 };
	p->files = NULL;
	p->pwd = NULL;
	p->threadfn = NULL;
	p->data = NULL;
	p->program = NULL;
	p->flags = flags;
	mutex_init(&p->cred_guard_mutex);
	p->real_parent = parent;
	return p;
}

/* What a child shares or copies: its files and working directory (user tasks only). */
static int copy_fs_files(struct task_struct *p, struct task_struct *parent)
{
	if (p->flags & PF_KTHREAD)
		return 0;
	p->files = alloc_files();
	if (!p->files)
		return -ENOMEM;
	p->pwd = dget(parent->pwd);
	return 0;
}

/*
 * The new task, a copy of current.  The machine has NR_TASKS run-queue
 * slots for the boot CPU's tasks (max_threads): past that, -EAGAIN, as
 * fork() gets at the thread limit.
 */
static noinline struct task_struct *copy_process(struct kernel_clone_args *args)
{
	struct task_struct *parent = current;
	struct task_struct *p;
	int err;

	if (!sched_has_room())
		return ERR_PTR(-EAGAIN);
	p = dup_task_struct(parent, args->kthread ? PF_KTHREAD : 0);
	if (IS_ERR(p))
		return p;
	err = copy_fs_files(p, parent);
	if (err) {
		kmem_cache_free(task_struct_cachep, p);
		return ERR_PTR(err);
	}
	if (args->name)
		strscpy(p->comm, args->name, sizeof(p->comm));
	p->threadfn = args->fn;
	p->data = args->fn_arg;
	/* The nice level is inherited (sched_reset_on_fork aside). */
	sched_fork(p, parent->nice);
	p->pid = p->tgid = ++last_pid;
	list_add_tail(&p->tasks, &task_list);
	total_forks++;
	return p;
}

/* The one way new tasks come to be: fork, clone, kernel threads, init. */
noinline pid_t kernel_clone(struct kernel_clone_args *args)
{
	struct task_struct *p;
	pid_t pid;

	p = copy_process(args);
	if (IS_ERR(p))
		return PTR_ERR(p);
	pid = p->pid;
	wake_up_new_task(p);
	return pid;
}

/* Create a kernel thread running fn(arg). */
pid_t kernel_thread(int (*fn)(void *), void *arg, const char *name, unsigned long flags)
{
	struct kernel_clone_args args = {
		.flags		= flags | CLONE_VM | CLONE_UNTRACED,
		.name		= name,
		.fn		= fn,
		.fn_arg		= arg,
		.kthread	= 1,
	};

	return kernel_clone(&args);
}

/* Create a user task (init) that starts as a kernel thread running fn(arg). */
pid_t user_mode_thread(int (*fn)(void *), void *arg, unsigned long flags)
{
	struct kernel_clone_args args = {
		.flags		= flags | CLONE_VM | CLONE_UNTRACED,
		.fn		= fn,
		.fn_arg		= arg,
	};

	return kernel_clone(&args);
}

/* fork(2): the child gets the parent's name until it execs. */
long __x64_sys_fork(const struct pt_regs *regs)
{
	struct kernel_clone_args args = {
		.exit_signal	= SIGCHLD,
	};

	(void)regs;
	return kernel_clone(&args);
}

/*
 * A task of its own for the machine to run (an SMP worker): not on the boot
 * CPU's round-robin queue; the host schedules it, and it never migrates.
 * Its host task calls setup_thread_info() with it when it starts.
 */
struct task_struct *create_host_task(const char *comm, struct task_struct *parent)
{
	struct task_struct *p = dup_task_struct(parent, PF_HOST_SCHED);

	if (IS_ERR(p))
		return p;
	if (copy_fs_files(p, parent)) {
		kmem_cache_free(task_struct_cachep, p);
		return ERR_PTR(-ENOMEM);
	}
	strscpy(p->comm, comm, sizeof(p->comm));
	sched_fork(p, 0);
	p->pid = p->tgid = ++last_pid;
	list_add_tail(&p->tasks, &task_list);
	return p;
}
