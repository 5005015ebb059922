/* softirq.c: kernel/softirq.c-alike: irq_enter/irq_exit, per-CPU pending bits and the softirq vector */
#include "sched.h"

struct softirq_action {
	void (*action)(void);
};

static struct softirq_action softirq_vec[NR_SOFTIRQS];
static struct task_struct *ksoftirqd;
static unsigned long ksoftirqd_runs;
unsigned long softirq_counts[NR_SOFTIRQS];

static const char *const softirq_to_name[NR_SOFTIRQS] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL",
	"TASKLET", "SCHED", "HRTIMER", "RCU"
};

void open_softirq(int nr, void (*action)(void))
{
	softirq_vec[nr].action = action;
}

/* Interrupts off, or called from the boot workload (which runs with them off). */
void raise_softirq(unsigned int nr)
{
	local_softirq_pending() |= 1U << nr;
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
			softirq_counts[nr]++;
			if (softirq_vec[nr].action)
				softirq_vec[nr].action();
		}
	}
	preempt_count() -= SOFTIRQ_OFFSET;
	/* Still pending after the restart budget: leave the rest to ksoftirqd. */
	if (local_softirq_pending() && ksoftirqd)
		wake_up_process(ksoftirqd);
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

void softirq_show_stats(void)
{
	unsigned int i;

	pr_info("softirq: ksoftirqd ran %lu times\n", ksoftirqd_runs);
	for (i = 0; i < NR_SOFTIRQS; i++) {
		if (softirq_counts[i])
			pr_info("softirq: %-8s %lu\n", softirq_to_name[i], softirq_counts[i]);
	}
}
