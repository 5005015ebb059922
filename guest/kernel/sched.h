/* sched.h: include/linux/sched.h + asm/{ptrace,thread_info,smp}.h-alike: tasks, pt_regs, current, per-CPU data, timers, softirqs */
#ifndef _SCHED_H
#define _SCHED_H

#include "list.h"
#include "spinlock.h"
#include "mutex.h"

struct files_struct;
struct dentry;

/* The kernel's x86-64 register frame, as entry code saves it. */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

#define __KERNEL_CS	0x10
#define __USER_CS	0x33

static inline int user_mode(const struct pt_regs *regs)
{
	return !!(regs->cs & 3);
}

#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_DEAD		0x0080

#define PF_IDLE		0x00000002
#define PF_HOST_SCHED	0x00000004	/* a task of its own, scheduled by the machine (SMP workers) */
#define PF_KTHREAD	0x00200000

#define TASK_COMM_LEN	16
#define NR_TASKS	8
#define MAX_NICE	19
#define MIN_NICE	-20
#define NICE_0_LOAD	1024

struct task_io_accounting {
	u64	rchar;
	u64	wchar;
	u64	syscr;
	u64	syscw;
};

struct task_struct {
	volatile long		state;
	unsigned int		flags;
	s8			nice;
	u8			need_resched;
	u16			time_slice;	/* ticks left */
	unsigned int		rq_index;	/* slot in the run queue array */
	pid_t			pid;
	pid_t			tgid;
	struct task_struct	*real_parent;
	char			comm[TASK_COMM_LEN];
	u32			load_weight;
	u64			vruntime;
	u64			sum_exec_runtime;
	unsigned long		utime;		/* ticks */
	unsigned long		stime;
	unsigned long		nvcsw;
	unsigned long		nivcsw;
	unsigned long		nr_syscalls;
	unsigned long		nr_wakeups;
	struct files_struct	*files;
	struct dentry		*pwd;
	struct task_io_accounting ioac;
	int			(*threadfn)(void *data);
	void			*data;
	void			*program;	/* user program state (init/workload.c) */
	struct list_head	tasks;
	struct mutex		cred_guard_mutex;	/* exec against ptrace (signal_struct's) */
};

/*
 * asm/thread_info.h, the 2.6 x86 way: every stack is THREAD_SIZE bytes,
 * THREAD_SIZE-aligned, with a struct thread_info at its base; masking %rsp
 * finds it.  A task stores its task_struct pointer there when it starts
 * (an idle stack of the host, or a task that has not got that far yet,
 * has a zeroed one).  The boot workload's round-robin scheduler switches
 * "current" by rewriting ti->task: its tasks all run on the boot stack.
 */
#define THREAD_SIZE	FTSIM_THREAD_SIZE
#define STACK_END_MAGIC	0x57AC6E9DUL
#define NR_CPUS		64

struct thread_info {
	struct task_struct	*task;
	unsigned int		cpu;
	int			lock_depth;	/* BKL nesting, -1 when not held */
	unsigned long		preempt_count;
	unsigned long		bkl_flags;	/* irq flags of the outermost lock_kernel() */
};

static __always_inline struct thread_info *current_thread_info(void)
{
	return ftsim_thread_area();
}

/* The word just above thread_info: a stack that overflows hits it first. */
static inline unsigned long *end_of_stack(struct thread_info *ti)
{
	return (unsigned long *)(ti + 1);
}

static __always_inline struct task_struct *get_current(void)
{
	return current_thread_info()->task;
}
#define current		get_current()

/* Stacks with no task yet (the host's idle loops) ask the machine. */
static __always_inline unsigned int smp_processor_id(void)
{
	struct thread_info *ti = current_thread_info();

	if (likely(READ_ONCE(ti->task) != NULL))
		return ti->cpu;
	return (unsigned int)ftsim_cpu_id();
}

void setup_thread_info(struct task_struct *p, unsigned int cpu);
void check_stack_end(void);

extern struct task_struct init_task;
extern struct list_head task_list;
extern unsigned long nr_context_switches;

/* kernel/sched/core.c */
void __init sched_init(void);
void schedule(void);
void sched_fork(struct task_struct *p, int nice);
void set_user_nice(struct task_struct *p, long nice);
bool sched_has_room(void);
void wake_up_new_task(struct task_struct *p);
void scheduler_tick(void);
int wake_up_process(struct task_struct *p);
void set_current_state(long state);
void resched_curr(void);
long do_sched_yield(void);
void sched_show_tasks(void);

/* kernel/fork.c, kernel/kthread.c */
#define CLONE_VM	0x00000100
#define CLONE_FS	0x00000200
#define CLONE_FILES	0x00000400
#define CLONE_UNTRACED	0x00800000
#define SIGCHLD		17

struct kernel_clone_args {
	u64		flags;
	int		exit_signal;
	const char	*name;		/* a kernel thread's */
	int		(*fn)(void *);	/* what a kernel thread or init runs */
	void		*fn_arg;
	unsigned int	kthread:1;
};

void __init fork_init(void);
pid_t kernel_clone(struct kernel_clone_args *args);
pid_t kernel_thread(int (*fn)(void *), void *arg, const char *name, unsigned long flags);
pid_t user_mode_thread(int (*fn)(void *), void *arg, unsigned long flags);
extern unsigned long total_forks;
struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *name);
int kthreadd(void *unused);
void kthreadd_init(pid_t pid);
struct task_struct *create_host_task(const char *comm, struct task_struct *parent);
struct task_struct *find_task_by_pid(pid_t pid);

/* kernel/time/timer.c, kernel/time/tick-common.c */
struct timer_list {
	struct list_head	entry;
	unsigned long		expires;
	void			(*function)(struct timer_list *timer);
	const char		*name;
	unsigned long		fired;
};

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)

void __init init_timers(void);
void timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *), const char *name);
void add_timer(struct timer_list *timer);
int mod_timer(struct timer_list *timer, unsigned long expires);
int del_timer(struct timer_list *timer);
int timer_pending(const struct timer_list *timer);
void tick_handler(struct pt_regs *regs);
void __init time_init(void);
void run_timers(void);
void timers_show_stats(void);
extern unsigned long nr_timer_ticks;

/* kernel/softirq.c */
enum { HI_SOFTIRQ, TIMER_SOFTIRQ, NET_TX_SOFTIRQ, NET_RX_SOFTIRQ, BLOCK_SOFTIRQ,
       IRQ_POLL_SOFTIRQ, TASKLET_SOFTIRQ, SCHED_SOFTIRQ, HRTIMER_SOFTIRQ, RCU_SOFTIRQ,
       NR_SOFTIRQS };
void open_softirq(int nr, void (*action)(void));
void raise_softirq(unsigned int nr);
void raise_softirq_irqoff(unsigned int nr);
void irq_enter(void);
void irq_exit(void);
void __init softirq_init(void);
void softirq_show_stats(void);
int __init spawn_ksoftirqd(void);
void do_softirq(void);
void __local_bh_enable_ip(unsigned long ip, unsigned int cnt);
#define preempt_count()	(current_thread_info()->preempt_count)
#define SOFTIRQ_OFFSET	0x100UL
#define SOFTIRQ_DISABLE_OFFSET	(2 * SOFTIRQ_OFFSET)
#define HARDIRQ_OFFSET	0x10000UL
#define NMI_OFFSET	0x100000UL
#define SOFTIRQ_MASK	0x0000ff00UL
#define HARDIRQ_MASK	0x000f0000UL
#define NMI_MASK	0x00f00000UL
/* Hardirq, softirq (running or BHs disabled) or NMI: not the preemption count. */
#define in_interrupt()	(preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK))

/* arch/x86/kernel/nmi.c */
#define NMI_HANDLED	1
#define NMI_DONE	0
#define NR_NMI_ACTIONS	2
#define NR_SAMPLE_SLOTS	8

/*
 * NMI bookkeeping.  The boot workload's simulated NMIs (regs == NULL) count
 * in workload_nmi, which it prints; the machine's NMIs count per CPU, in
 * cpu_data, and are never printed (they arrive at random).
 */
struct nmi_stats {
	unsigned long	nmis;
	unsigned long	unknown;
	unsigned long	nested;
	unsigned long	handled[NR_NMI_ACTIONS];
	unsigned long	perf_samples[NR_SAMPLE_SLOTS];
	unsigned long	perf_samples_in_irq;
	unsigned long	hrtimer_interrupts_saved;
	unsigned long	watchdog_stalls;	/* NMIs in a row without a tick */
	unsigned long	hardlockups;
};

void nmi_handler(struct pt_regs *regs);
void __init lockup_detector_init(void);
void nmi_show_stats(void);
extern struct nmi_stats workload_nmi;

/*
 * Per-CPU data (irq_cpustat_t and friends), indexed by smp_processor_id().
 * Only its own CPU writes it, from task, interrupt or NMI context.
 */
struct cpu_data {
	u32		softirq_pending;
	unsigned long	softirq_counts[NR_SOFTIRQS];	/* kstat: softirqs run here */
	int		in_nmi;
	unsigned long	timer_ticks;		/* local timer interrupts taken */
	unsigned long	idle_ticks;		/* ... of which hit the idle loop */
	unsigned long	hrtimer_interrupts;	/* what the NMI watchdog watches */
	struct nmi_stats nmi;
} __aligned(64);

extern struct cpu_data cpu_data[NR_CPUS];

static __always_inline struct cpu_data *this_cpu_data(void)
{
	return &cpu_data[smp_processor_id()];
}

#define local_softirq_pending()	(this_cpu_data()->softirq_pending)

/*
 * include/linux/bottom_half.h: a section where softirqs do not run on this
 * CPU.  A softirq raised inside (or by an interrupt that strikes inside: it
 * sees in_interrupt()) stays pending, and local_bh_enable() runs it at the
 * end.  Interrupts must be on at local_bh_enable(), as lockdep asserts.
 */
static __always_inline void local_bh_disable(void)
{
	preempt_count() += SOFTIRQ_DISABLE_OFFSET;
	barrier();
}

static __always_inline void local_bh_enable(void)
{
	barrier();
	__local_bh_enable_ip(_RET_IP_, SOFTIRQ_DISABLE_OFFSET);
}

/* kernel/smp.c */
extern unsigned int nr_cpu_ids;
extern unsigned long cpu_online_mask;
unsigned int __init smp_init(void);

/* kernel/rcu/ (the SMP part) */
void rcu_smp_init(unsigned long online_mask);
void rcu_note_quiescent_state(void);
void rcu_sched_clock_irq(void);
void rcu_process_callbacks(void);

/* init/workload.c: the user programs init runs */
void workload_run(unsigned long steps);
u32 workload_report(unsigned long steps);

/* init/workload_smp.c: worker tasks, two per CPU */
void __init smp_workload_start(unsigned int ncpus);

/* arch/x86/entry/ */
void do_syscall_64(struct pt_regs *regs, int nr);
long x64_sys_call(const struct pt_regs *regs, unsigned int nr);
void syscall_show_stats(void);
extern unsigned long nr_syscalls_total;
extern unsigned long nr_syscalls_failed;

#endif /* _SCHED_H */
