/* nmi.c: arch/x86/kernel/nmi.c + kernel/watchdog_perf.c-alike: NMI handler chain, perf sampling, hard-lockup check */
#include "sched.h"
#include "div64.h"

#define NMI_LOCAL	0
#define WATCHDOG_INTERVAL	4	/* jiffies between watchdog timer runs */
#define NR_SAMPLE_SLOTS		8

struct nmiaction {
	struct list_head	list;
	int			(*handler)(unsigned int type, struct pt_regs *regs);
	const char		*name;
	unsigned long		count;
};

static LIST_HEAD(nmi_desc_head);
unsigned long nr_nmis;
static unsigned long nr_unknown_nmis;
static unsigned long nr_nested_nmis;

/* perf: which pid was running when the counter overflowed. */
static unsigned long perf_samples[NR_SAMPLE_SLOTS];
static unsigned long perf_samples_in_irq;

/* The hard-lockup detector: the timer must have run between two NMIs. */
static unsigned long hrtimer_interrupts;
static unsigned long hrtimer_interrupts_saved;
static unsigned long hardlockups;
static struct timer_list watchdog_timer;

static void register_nmi_handler(struct nmiaction *action)
{
	list_add_tail(&action->list, &nmi_desc_head);
}

static int perf_event_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	(void)type;
	(void)regs;
	perf_samples[(unsigned int)current->pid % NR_SAMPLE_SLOTS]++;
	/* Anything beyond our own NMI entry means we interrupted an interrupt. */
	if (preempt_count - (NMI_OFFSET + HARDIRQ_OFFSET))
		perf_samples_in_irq++;
	return NMI_HANDLED;
}

static int watchdog_overflow_callback(unsigned int type, struct pt_regs *regs)
{
	(void)type;
	(void)regs;
	if (hrtimer_interrupts == hrtimer_interrupts_saved) {
		hardlockups++;
		pr_emerg("Watchdog detected hard LOCKUP on cpu 0\n");
		return NMI_HANDLED;
	}
	hrtimer_interrupts_saved = hrtimer_interrupts;
	return NMI_HANDLED;
}

static struct nmiaction perf_nmi = {
	.handler = perf_event_nmi_handler,
	.name = "PMI",
};

static struct nmiaction watchdog_nmi = {
	.handler = watchdog_overflow_callback,
	.name = "watchdog",
};

static int nmi_handle(unsigned int type, struct pt_regs *regs)
{
	struct nmiaction *a;
	int handled = 0;

	list_for_each_entry(a, &nmi_desc_head, list) {
		int thishandled = a->handler(type, regs);

		if (thishandled)
			a->count++;
		handled += thishandled;
	}
	return handled;
}

static void unknown_nmi_error(struct pt_regs *regs)
{
	(void)regs;
	nr_unknown_nmis++;
	pr_emerg("Uhhuh. NMI received for unknown reason on CPU 0.\n");
}

/* The NMI entry.  regs is the interrupted context (NULL when called directly). */
void nmi_handler(struct pt_regs *regs)
{
	if (preempt_count & NMI_OFFSET) {
		nr_nested_nmis++;
		return;
	}
	preempt_count += NMI_OFFSET + HARDIRQ_OFFSET;
	nr_nmis++;
	if (!nmi_handle(NMI_LOCAL, regs))
		unknown_nmi_error(regs);
	preempt_count -= NMI_OFFSET + HARDIRQ_OFFSET;
}

static void watchdog_timer_fn(struct timer_list *t)
{
	hrtimer_interrupts++;
	mod_timer(t, jiffies + WATCHDOG_INTERVAL);
}

void __init lockup_detector_init(void)
{
	register_nmi_handler(&perf_nmi);
	register_nmi_handler(&watchdog_nmi);
	timer_setup(&watchdog_timer, watchdog_timer_fn, "watchdog");
	mod_timer(&watchdog_timer, jiffies + WATCHDOG_INTERVAL);
	pr_info("NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.\n");
}

void nmi_show_stats(void)
{
	struct nmiaction *a;
	unsigned int i;

	pr_info("nmi: %lu NMIs (%lu unknown, %lu nested), %lu hard lockups\n",
		nr_nmis, nr_unknown_nmis, nr_nested_nmis, hardlockups);
	list_for_each_entry(a, &nmi_desc_head, list)
		pr_info("nmi: handler %-8s handled %lu\n", a->name, a->count);
	pr_info("perf: samples by pid slot:");
	for (i = 0; i < NR_SAMPLE_SLOTS; i++)
		pr_cont(" %lu (%d%%)", perf_samples[i],
			nr_nmis ? div_round_closest((int)perf_samples[i] * 100, (int)nr_nmis) : 0);
	pr_cont(", in irq %lu\n", perf_samples_in_irq);
}
