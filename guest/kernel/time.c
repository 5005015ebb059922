/* time.c: kernel/time/{timer,tick-common,jiffies}.c + sched/clock.c-alike: jiffies, timer wheel, the tick */
#include "sched.h"

volatile unsigned long jiffies;
u64 jiffies_64;
unsigned long nr_timer_ticks;
static unsigned long timers_expired;
static unsigned long clock_reads_this_tick;

/* Pending timers, kept sorted by expiry. */
static LIST_HEAD(timer_base);

/*
 * The clock: jiffies, plus a microsecond per read since the last tick so
 * that successive timestamps differ (the build is deterministic, so the
 * count of reads is too).
 */
notrace u64 sched_clock(void)
{
	return jiffies_64 * TICK_NSEC;
}

u64 local_clock(void)
{
	u64 sub = clock_reads_this_tick++ * NSEC_PER_USEC;

	if (sub >= TICK_NSEC)
		sub = TICK_NSEC - NSEC_PER_USEC;
	return sched_clock() + sub;
}

void timer_setup(struct timer_list *timer, void (*fn)(struct timer_list *), const char *name)
{
	INIT_LIST_HEAD(&timer->entry);
	timer->function = fn;
	timer->name = name;
	timer->expires = 0;
	timer->fired = 0;
}

int timer_pending(const struct timer_list *timer)
{
	return !list_empty(&timer->entry);
}

static void enqueue_timer(struct timer_list *timer)
{
	struct timer_list *pos;

	list_for_each_entry(pos, &timer_base, entry) {
		if (time_after(pos->expires, timer->expires))
			break;
	}
	/* Insert before pos (or at the tail when we ran off the end). */
	list_add_tail(&timer->entry, &pos->entry);
}

void add_timer(struct timer_list *timer)
{
	if (timer_pending(timer))
		panic("add_timer: timer %s already pending", timer->name);
	enqueue_timer(timer);
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	int was_pending = timer_pending(timer);

	if (was_pending)
		list_del_init(&timer->entry);
	timer->expires = expires;
	enqueue_timer(timer);
	return was_pending;
}

int del_timer(struct timer_list *timer)
{
	if (!timer_pending(timer))
		return 0;
	list_del_init(&timer->entry);
	return 1;
}

static void call_timer_fn(struct timer_list *timer)
{
	timer->fired++;
	timers_expired++;
	timer->function(timer);
}

void run_timers(void)
{
	while (!list_empty(&timer_base)) {
		struct timer_list *timer = list_first_entry(&timer_base, struct timer_list, entry);

		if (time_after(timer->expires, jiffies))
			break;
		list_del_init(&timer->entry);
		call_timer_fn(timer);
	}
}

static void run_timer_softirq(void)
{
	run_timers();
}

void __init init_timers(void)
{
	open_softirq(TIMER_SOFTIRQ, run_timer_softirq);
}

void __init time_init(void)
{
	pr_info("clocksource: jiffies: mask: 0xffffffff max_cycles: 0xffffffff, max_idle_ns: %llu ns\n",
		(u64)0xffffffffULL * TICK_NSEC);
	pr_info("sched_clock: 64 bits at %dHz, resolution %lluns, wraps every %lluns\n",
		HZ, (u64)TICK_NSEC, ~0ULL / 2);
}

static void do_timer(unsigned long ticks)
{
	jiffies_64 += ticks;
	jiffies = (unsigned long)jiffies_64;
	clock_reads_this_tick = 0;
}

static void account_process_tick(struct task_struct *p, int user_tick)
{
	if (user_tick)
		p->utime++;
	else
		p->stime++;
}

static void update_process_times(int user_tick)
{
	account_process_tick(current, user_tick);
	raise_softirq(TIMER_SOFTIRQ);
	scheduler_tick();
}

static void tick_periodic(void)
{
	nr_timer_ticks++;
	do_timer(1);
}

/*
 * The machine's local timer, on any CPU, with interrupts off.  jiffies is
 * the boot workload's virtual time (its simulated tick below); how many of
 * these ticks each CPU takes depends on the interleaving, so they account
 * CPU time per task and per CPU, feed the NMI watchdog and report RCU
 * quiescent states, but leave the clock and the timer wheel alone.
 */
static void local_timer_interrupt(struct pt_regs *regs)
{
	struct cpu_data *cd = this_cpu_data();
	struct task_struct *p = current;

	if (unlikely(panic_cpu >= 0))
		stop_this_cpu();
	cd->timer_ticks++;
	cd->hrtimer_interrupts++;
	if (p) {
		check_stack_end();
		account_process_tick(p, user_mode(regs));
		p->sum_exec_runtime += TICK_NSEC;
	} else {
		cd->idle_ticks++;
	}
	/*
	 * Interrupts are on only outside system calls, and RCU readers live
	 * inside them: wherever this tick struck, the CPU is quiescent.
	 */
	rcu_sched_clock_irq();
}

/*
 * The timer interrupt.  regs is the interrupted context, or NULL for the
 * boot workload's simulated tick, which it calls directly every few steps.
 */
void tick_handler(struct pt_regs *regs)
{
	irq_enter();
	if (regs) {
		local_timer_interrupt(regs);
	} else {
		tick_periodic();
		update_process_times(!(current->flags & PF_KTHREAD));
	}
	irq_exit();
}

void timers_show_stats(void)
{
	pr_info("timer: %lu ticks (jiffies %lu), %lu timers expired\n",
		nr_timer_ticks, jiffies, timers_expired);
}
