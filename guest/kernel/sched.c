/* sched.c: kernel/sched/core.c + fair.c + kernel/kthread.c-alike: the boot CPU's round-robin scheduler, kthreads, host-scheduled SMP tasks */
#include "fs.h"
#include "sched.h"
#include "div64.h"

#define SCHED_SLICE_TICKS	3	/* time slice of a nice-0 task */
#define WAKEUP_GRANULARITY	(TICK_NSEC / 2)

struct task_struct init_task = {
	.state		= TASK_RUNNING,
	.flags		= PF_KTHREAD | PF_IDLE,
	.pid		= 0,
	.tgid		= 0,
	.real_parent	= &init_task,
	.comm		= "swapper/0",
	.load_weight	= NICE_0_LOAD,
	.time_slice	= SCHED_SLICE_TICKS,
};

LIST_HEAD(task_list);
unsigned long nr_context_switches;
static unsigned long nr_yields;

/* The run queue: a plain array walked round-robin. */
static struct task_struct *runqueue[NR_TASKS];
static unsigned int nr_tasks;
static struct task_struct *kthreadd_task;

/* Load weight per nice level: each level is worth about 1.25x the next. */
static u32 sched_prio_to_weight[MAX_NICE - MIN_NICE + 1];

static void __init init_prio_weights(void)
{
	int i;

	sched_prio_to_weight[-MIN_NICE] = NICE_0_LOAD;
	for (i = -MIN_NICE + 1; i <= MAX_NICE - MIN_NICE; i++)
		sched_prio_to_weight[i] = sched_prio_to_weight[i - 1] * 4 / 5;
	for (i = -MIN_NICE - 1; i >= 0; i--)
		sched_prio_to_weight[i] = sched_prio_to_weight[i + 1] * 5 / 4;
}

static inline u32 nice_to_weight(int nice)
{
	return sched_prio_to_weight[nice - MIN_NICE];
}

static unsigned int sched_slice(const struct task_struct *p)
{
	unsigned int slice = SCHED_SLICE_TICKS * p->load_weight / NICE_0_LOAD;

	return slice ? slice : 1;
}

/* delta scaled by NICE_0_LOAD / weight: heavier tasks age more slowly. */
static u64 calc_delta_fair(u64 delta, const struct task_struct *p)
{
	if (p->load_weight == NICE_0_LOAD)
		return delta;
	return delta * NICE_0_LOAD / p->load_weight;
}

static u64 min_vruntime(void)
{
	u64 min = ~0ULL;
	unsigned int i;

	for (i = 0; i < nr_tasks; i++) {
		struct task_struct *p = runqueue[i];

		if (p->state == TASK_RUNNING && !(p->flags & PF_IDLE) && p->vruntime < min)
			min = p->vruntime;
	}
	return min == ~0ULL ? 0 : min;
}

void __init sched_init(void)
{
	init_prio_weights();
	init_task.rq_index = nr_tasks;
	runqueue[nr_tasks++] = &init_task;
	list_add_tail(&init_task.tasks, &task_list);
	pr_info("sched: round-robin scheduler, %d task slots, slice %d ticks at HZ=%d\n",
		NR_TASKS, SCHED_SLICE_TICKS, HZ);
}

/* sched_fork(): a new task's share of the CPU, from its nice level. */
void sched_fork(struct task_struct *p, int nice)
{
	p->nice = nice;
	p->load_weight = nice_to_weight(nice);
	p->time_slice = sched_slice(p);
	p->vruntime = min_vruntime();
	p->state = TASK_RUNNING;
}

/* set_user_nice(): a new weight, and the slice that goes with it. */
void set_user_nice(struct task_struct *p, long nice)
{
	if (nice < MIN_NICE)
		nice = MIN_NICE;
	if (nice > MAX_NICE)
		nice = MAX_NICE;
	p->nice = nice;
	p->load_weight = nice_to_weight(nice);
	p->time_slice = sched_slice(p);
}

/* A slot on the boot CPU's run queue: false when every one is taken. */
bool sched_has_room(void)
{
	return nr_tasks < NR_TASKS;
}

/* wake_up_new_task(): onto the run queue; it runs when its turn comes. */
void wake_up_new_task(struct task_struct *p)
{
	p->rq_index = nr_tasks;
	runqueue[nr_tasks++] = p;
}

struct task_struct *find_task_by_pid(pid_t pid)
{
	struct task_struct *p;

	list_for_each_entry(p, &task_list, tasks) {
		if (p->pid == pid)
			return p;
	}
	return NULL;
}

/* The first thing a task does on its stack: say who it is and where it runs. */
void setup_thread_info(struct task_struct *p, unsigned int cpu)
{
	struct thread_info *ti = current_thread_info();

	ti->cpu = cpu;
	ti->lock_depth = -1;
	ti->preempt_count = 0;
	*end_of_stack(ti) = STACK_END_MAGIC;
	barrier();		/* an NMI that sees the task sees the CPU too */
	WRITE_ONCE(ti->task, p);
}

void check_stack_end(void)
{
	struct thread_info *ti = current_thread_info();

	if (unlikely(*end_of_stack(ti) != STACK_END_MAGIC))
		panic("corrupted stack end detected (task %s/%d)",
		      ti->task ? ti->task->comm : "?", ti->task ? ti->task->pid : -1);
}

/*
 * A new kthread sleeps until someone wakes it.  kthreadd forks it
 * (kernel_thread()); here the request is served at once, on kthreadd's
 * behalf, instead of queued for it.
 */
struct task_struct *kthread_create(int (*threadfn)(void *data), void *data, const char *name)
{
	struct thread_info *ti = current_thread_info();
	struct task_struct *requester = ti->task;
	struct task_struct *p;
	pid_t pid;

	/* create_kthread(), run as kthreadd: it is the new thread's parent. */
	if (kthreadd_task)
		ti->task = kthreadd_task;
	pid = kernel_thread(threadfn, data, name, CLONE_FS | CLONE_FILES | SIGCHLD);
	ti->task = requester;
	if (pid < 0)
		return ERR_PTR(pid);
	p = find_task_by_pid(pid);
	if (!p)
		return ERR_PTR(-ESRCH);
	p->state = TASK_INTERRUPTIBLE;
	return p;
}

/* kthreadd only ever sleeps here: threads are created synchronously. */
int kthreadd(void *unused)
{
	(void)unused;
	set_current_state(TASK_INTERRUPTIBLE);
	schedule();
	return 0;
}

void kthreadd_init(pid_t pid)
{
	kthreadd_task = find_task_by_pid(pid);
	if (!kthreadd_task)
		panic("kthreadd: pid %d is nowhere", pid);
	kthreadd_task->state = TASK_INTERRUPTIBLE;
}

void set_current_state(long state)
{
	current->state = state;
}

void resched_curr(void)
{
	current->need_resched = 1;
}

static struct task_struct *pick_next_task(struct task_struct *prev)
{
	unsigned int i;

	for (i = 1; i <= nr_tasks; i++) {
		struct task_struct *p = runqueue[(prev->rq_index + i) % nr_tasks];

		if (p->state == TASK_RUNNING && !(p->flags & PF_IDLE))
			return p;
	}
	return &init_task;
}

static void finish_task_switch(struct task_struct *prev)
{
	if (prev->state == TASK_DEAD)
		panic("finish_task_switch: %s/%d is dead", prev->comm, prev->pid);
}

static void context_switch(struct task_struct *prev, struct task_struct *next)
{
	nr_context_switches++;
	/*
	 * switch_to(): no stacks to swap, each task's program keeps its own
	 * state; the boot stack's thread_info now names the next task.
	 */
	current_thread_info()->task = next;
	finish_task_switch(prev);
}

/* A task the machine schedules gives up its CPU to the next task there, without the BKL. */
static void schedule_host(struct task_struct *prev)
{
	prev->need_resched = 0;
	prev->nvcsw++;
	release_kernel_lock();
	ftsim_yield();
	reacquire_kernel_lock();
}

/*
 * The scheduler proper.  notrace, as in the kernel: the function tracer
 * sees the way in (schedule()), not the switch.
 */
#define SM_NONE		0

static notrace noinline void __schedule(unsigned int sched_mode)
{
	struct task_struct *prev = current;
	struct task_struct *next;

	(void)sched_mode;
	if (prev->flags & PF_HOST_SCHED) {
		schedule_host(prev);
		return;
	}

	prev->need_resched = 0;
	next = pick_next_task(prev);
	if (next == prev)
		return;
	if (prev->state != TASK_RUNNING)
		prev->nvcsw++;
	else
		prev->nivcsw++;
	context_switch(prev, next);
}

/*
 * A task gives up the CPU: it sleeps, yields, or was asked to (need_resched,
 * on its way back to user mode).  This kernel has no kernel preemption: no
 * preempt_schedule_irq() on the way back to kernel mode.  Never inlined:
 * every caller goes through it (and its fentry site), as in the kernel.
 */
noinline void schedule(void)
{
	__schedule(SM_NONE);
}

int wake_up_process(struct task_struct *p)
{
	u64 min;

	if (!(p->state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)))
		return 0;
	/* place_entity(): a sleeper does not get to bank its sleep time. */
	min = min_vruntime();
	if (p->vruntime < min)
		p->vruntime = min;
	p->state = TASK_RUNNING;
	p->nr_wakeups++;
	if (p->vruntime + WAKEUP_GRANULARITY < current->vruntime || (current->flags & PF_IDLE))
		resched_curr();
	return 1;
}

void scheduler_tick(void)
{
	struct task_struct *curr = current;

	curr->sum_exec_runtime += TICK_NSEC;
	curr->vruntime += calc_delta_fair(TICK_NSEC, curr);
	if (curr->flags & PF_IDLE) {
		resched_curr();
		return;
	}
	if (curr->time_slice > 1) {
		curr->time_slice--;
	} else {
		curr->time_slice = sched_slice(curr);
		resched_curr();
	}
}

/* Under the BKL (a system call). */
long do_sched_yield(void)
{
	nr_yields++;
	current->time_slice = sched_slice(current);
	schedule();
	return 0;
}

static char task_state_char(const struct task_struct *p)
{
	if (p->state == TASK_RUNNING)
		return (p->flags & PF_IDLE) ? 'I' : 'R';
	if (p->state & TASK_INTERRUPTIBLE)
		return 'S';
	if (p->state & TASK_UNINTERRUPTIBLE)
		return 'D';
	return 'X';
}

void sched_show_tasks(void)
{
	struct task_struct *p;
	u64 sum = 0, avg, rem;
	s64 lag_us;
	s32 lag_ns;
	int nr_running = 0;

	list_for_each_entry(p, &task_list, tasks) {
		if (p->state == TASK_RUNNING && !(p->flags & PF_IDLE)) {
			sum += p->vruntime;
			nr_running++;
		}
	}
	avg = nr_running ? div64_u64_rem(sum, nr_running, &rem) : 0;

	pr_info("sched: %lu context switches, %lu yields\n", nr_context_switches, nr_yields);
	pr_info("sched: %d runnable, average vruntime %llu us\n", nr_running,
		avg / NSEC_PER_USEC);
	pr_info("sched:   PID  PPID COMM            S NICE WEIGHT  UTIME  STIME  NVCSW NIVCSW WAKEUPS SYSCALLS     RCHAR     WCHAR  VRUNTIME(us)   LAG(us)\n");
	list_for_each_entry(p, &task_list, tasks) {
		/* Signed: tasks behind the average have a negative lag. */
		lag_us = div_s64_rem((s64)(p->vruntime - avg), (s32)NSEC_PER_USEC, &lag_ns);
		pr_info("sched: %5d %5d %-15s %c %4d %6u %6lu %6lu %6lu %6lu %7lu %8lu %9llu %9llu %13llu %9lld\n",
			p->pid, p->real_parent->pid, p->comm, task_state_char(p), p->nice,
			p->load_weight, p->utime, p->stime, p->nvcsw, p->nivcsw,
			p->nr_wakeups, p->nr_syscalls, p->ioac.rchar, p->ioac.wchar,
			p->vruntime / NSEC_PER_USEC, lag_us);
	}
}
