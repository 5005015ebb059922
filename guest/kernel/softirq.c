/* softirq.c: kernel/softirq.c-alike: irq_enter/irq_exit, local_bh_enable and do_softirq, per-CPU pending bits and the softirq vector */
#include "sched.h"

struct softirq_action {
	void (*action)(void);
};

static struct softirq_action softirq_vec[NR_SOFTIRQS];
static struct task_struct *ksoftirqd;
static unsigned long ksoftirqd_runs;

static const char *const softirq_to_name[NR_SOFTIRQS] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL",
	"TASKLET", "SCHED", "HRTIMER", "RCU"
};

void open_softirq(int nr, void (*action)(void))
{
	softirq_vec[nr].action = action;
}

/*
 * Mark softirq nr pending on this CPU, interrupts off.  It runs on the way
 * out of the interrupt, or at local_bh_enable(): this kernel raises
 * softirqs in process context only with BHs disabled, so nothing has to
 * wake ksoftirqd for it.
 */
void raise_softirq_irqoff(unsigned int nr)
{
	local_softirq_pending() |= 1U << nr;
}

void raise_softirq(unsigned int nr)
{
	unsigned long flags = local_irq_save();

	raise_softirq_irqoff(nr);
	local_irq_restore(flags);
}

static void __do_softirq(void)
{
	u32 pending;
	int restart = 2;

	preempt_count() += SOFTIRQ_OFFSET;
	while ((pending = local_softirq_pending()) != 0 && restart--) {
		local_softirq_pending() = 0;
		while (pending) {
			unsigned int nr = __builtin_ctz(pending);

			pending &= pending - 1;
			this_cpu_data()->softirq_counts[nr]++;
			if (softirq_vec[nr].action)
				softirq_vec[nr].action();
		}
	}
	preempt_count() -= SOFTIRQ_OFFSET;
	/* Still pending after the restart budget: leave the rest to ksoftirqd. */
	if (local_softirq_pending() && ksoftirqd)
		wake_up_process(ksoftirqd);
}

/*
 * Process context with softirqs pending and none running: run them here,
 * with interrupts off (x86's do_softirq_own_stack() would switch to the
 * IRQ stack; the task's own stack is big enough here).
 */
void do_softirq(void)
{
	unsigned long flags;

	if (in_interrupt())
		return;
	flags = local_irq_save();
	if (local_softirq_pending())
		__do_softirq();
	local_irq_restore(flags);
}

/*
 * local_bh_enable(): the end of a bottom-half-disabled section.  A softirq
 * raised inside it (an interrupt that struck there found in_interrupt() and
 * left its softirqs pending) runs now, before the count drops to zero.
 */
void __local_bh_enable_ip(unsigned long ip, unsigned int cnt)
{
	(void)ip;
	preempt_count() -= cnt - 1;
	if (unlikely(!in_interrupt() && local_softirq_pending()))
		do_softirq();
	preempt_count() -= 1;
}

static int run_ksoftirqd(void *data)
{
	(void)data;
	ksoftirqd_runs++;
	if (local_softirq_pending())
		__do_softirq();
	set_current_state(TASK_INTERRUPTIBLE);
	schedule();
	return 0;
}

int __init spawn_ksoftirqd(void)
{
	ksoftirqd = kthread_create(run_ksoftirqd, NULL, "ksoftirqd/0");
	if (IS_ERR(ksoftirqd))
		return PTR_ERR(ksoftirqd);
	return 0;
}

void irq_enter(void)
{
	preempt_count() += HARDIRQ_OFFSET;
}

void irq_exit(void)
{
	preempt_count() -= HARDIRQ_OFFSET;
	if (!in_interrupt() && local_softirq_pending())
		__do_softirq();
}

void __init softirq_init(void)
{
	pr_info("NR_IRQS: 16, nr_irqs: 16, preallocated irqs: 16\n");
}

/* The counts of every CPU (kstat_softirqs_cpu()), summed. */
void softirq_show_stats(void)
{
	unsigned int i, cpu;

	pr_info("softirq: ksoftirqd ran %lu times\n", ksoftirqd_runs);
	for (i = 0; i < NR_SOFTIRQS; i++) {
		unsigned long sum = 0;

		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			sum += cpu_data[cpu].softirq_counts[i];
		if (sum)
			pr_info("softirq: %-8s %lu\n", softirq_to_name[i], sum);
	}
}
