/* sched.h: include/linux/sched.h + asm/ptrace.h-alike: tasks, pt_regs, timers, softirqs */
#ifndef _SCHED_H
#define _SCHED_H

#include "list.h"

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
};

extern struct task_struct *current_task;
#define current		current_task

extern struct task_struct init_task;
extern struct list_head task_list;
extern unsigned long nr_context_switches;

/* kernel/sched/core.c */
void __init sched_init(void);
void schedule(void);
void scheduler_tick(void);
int wake_up_process(struct task_struct *p);
void set_current_state(long state);
void resched_curr(void);
long do_sched_yield(void);
void sched_show_tasks(void);

/* kernel/fork.c, kernel/kthread.c */
struct task_struct *copy_process(const char *comm, unsigned int flags,
				 struct task_struct *parent, int nice);
struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *name);
void kthreadd_init(void);

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
void irq_enter(void);
void irq_exit(void);
void __init softirq_init(void);
void softirq_show_stats(void);
int __init spawn_ksoftirqd(void);
extern unsigned long preempt_count;
extern unsigned long softirq_counts[NR_SOFTIRQS];
#define HARDIRQ_OFFSET	0x10000UL
#define NMI_OFFSET	0x100000UL
#define in_interrupt()	(preempt_count != 0)

/* arch/x86/kernel/nmi.c */
#define NMI_HANDLED	1
#define NMI_DONE	0
void nmi_handler(struct pt_regs *regs);
void __init lockup_detector_init(void);
void nmi_show_stats(void);
extern unsigned long nr_nmis;

/* init/workload.c: the user programs init runs */
void workload_run(unsigned long steps);
u32 workload_report(unsigned long steps);

/* arch/x86/entry/ */
void do_syscall_64(struct pt_regs *regs, int nr);
long x64_sys_call(const struct pt_regs *regs, unsigned int nr);
void syscall_show_stats(void);
extern unsigned long nr_syscalls_total;
extern unsigned long nr_syscalls_failed;

#endif /* _SCHED_H */
