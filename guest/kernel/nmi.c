/* nmi.c: arch/x86/kernel/nmi.c + kernel/watchdog_perf.c-alike: NMI handler chain, perf sampling, hard-lockup check */
#include "sched.h"
#include "div64.h"

#define NMI_LOCAL	0
#define WATCHDOG_INTERVAL	4	/* jiffies between watchdog timer runs */
#define WATCHDOG_NMI_STALLS	64	/* machine NMIs in a row without a tick: a lockup */

/*
 * NMIs can strike anywhere, even a CPU holding a spinlock with interrupts
 * off, so nothing here takes a lock or prints for a machine NMI: it only
 * touches its own CPU's data.  The handler list only grows at boot, and
 * list_add_tail() stores the forward link last, so an NMI walking it then
 * sees it without or with the new entry, whose index is already set.
 */
struct nmiaction {
	struct list_head	list;
	int			(*handler)(unsigned int type, struct pt_regs *regs);
	const char		*name;
	unsigned int		index;		/* in nmi_stats.handled[] */
};

static LIST_HEAD(nmi_desc_head);
static unsigned int nr_nmi_actions;

/* The boot workload's NMIs (which it prints); the machine's count in cpu_data. */
struct nmi_stats workload_nmi;

/* The hard-lockup detector of the boot workload: its timer must run between two NMIs. */
static unsigned long hrtimer_interrupts;
static struct timer_list watchdog_timer;

static inline struct nmi_stats *nmi_stats_of(struct pt_regs *regs)
{
	return regs ? &this_cpu_data()->nmi : &workload_nmi;
}

static void register_nmi_handler(struct nmiaction *action)
{
	if (nr_nmi_actions >= NR_NMI_ACTIONS)
		panic("register_nmi_handler: no room for %s", action->name);
	action->index = nr_nmi_actions++;
	list_add_tail(&action->list, &nmi_desc_head);
}

/* perf: which pid was running when the counter overflowed. */
static int perf_event_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct nmi_stats *st = nmi_stats_of(regs);
	struct task_struct *p = current;	/* NULL on an idle stack */

	(void)type;
	st->perf_samples[(unsigned int)(p ? p->pid : 0) % NR_SAMPLE_SLOTS]++;
	/* Anything beyond our own NMI entry means we interrupted an interrupt. */
	if (preempt_count() - (NMI_OFFSET + HARDIRQ_OFFSET))
		st->perf_samples_in_irq++;
	return NMI_HANDLED;
}

static int watchdog_overflow_callback(unsigned int type, struct pt_regs *regs)
{
	struct nmi_stats *st = nmi_stats_of(regs);
	unsigned long now;

	(void)type;
	if (!regs) {
		if (hrtimer_interrupts == st->hrtimer_interrupts_saved) {
			st->hardlockups++;
			pr_emerg("Watchdog detected hard LOCKUP on cpu 0\n");
			return NMI_HANDLED;
		}
		st->hrtimer_interrupts_saved = hrtimer_interrupts;
		return NMI_HANDLED;
	}
	/* A machine NMI: count, never print (the CPU may hold logbuf_lock). */
	now = this_cpu_data()->hrtimer_interrupts;
	if (now != st->hrtimer_interrupts_saved) {
		st->hrtimer_interrupts_saved = now;
		st->watchdog_stalls = 0;
	} else if (++st->watchdog_stalls == WATCHDOG_NMI_STALLS) {
		st->hardlockups++;
	}
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

static int nmi_handle(unsigned int type, struct pt_regs *regs, struct nmi_stats *st)
{
	struct nmiaction *a;
	int handled = 0;

	list_for_each_entry(a, &nmi_desc_head, list) {
		int thishandled = a->handler(type, regs);

		if (thishandled)
			st->handled[a->index]++;
		handled += thishandled;
	}
	return handled;
}

static void unknown_nmi_error(struct pt_regs *regs, struct nmi_stats *st)
{
	st->unknown++;
	if (!regs)
		pr_emerg("Uhhuh. NMI received for unknown reason on CPU 0.\n");
}

/* The NMI entry.  regs is the interrupted context (NULL when the workload calls it). */
void nmi_handler(struct pt_regs *regs)
{
	struct nmi_stats *st;
	struct cpu_data *cd = NULL;

	if (regs) {
		/* The machine latches NMIs while one runs; nesting would be a machine bug. */
		cd = this_cpu_data();
		st = &cd->nmi;
		if (cd->in_nmi) {
			st->nested++;
			return;
		}
		cd->in_nmi = 1;
	} else {
		st = &workload_nmi;
		if (preempt_count() & NMI_OFFSET) {
			st->nested++;
			return;
		}
	}
	preempt_count() += NMI_OFFSET + HARDIRQ_OFFSET;
	st->nmis++;
	if (!nmi_handle(NMI_LOCAL, regs, st))
		unknown_nmi_error(regs, st);
	preempt_count() -= NMI_OFFSET + HARDIRQ_OFFSET;
	if (cd)
		cd->in_nmi = 0;
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

/* The boot workload's NMIs only: the machine's are random, and stay in cpu_data. */
void nmi_show_stats(void)
{
	const struct nmi_stats *st = &workload_nmi;
	struct nmiaction *a;
	unsigned int i;

	pr_info("nmi: %lu NMIs (%lu unknown, %lu nested), %lu hard lockups\n",
		st->nmis, st->unknown, st->nested, st->hardlockups);
	list_for_each_entry(a, &nmi_desc_head, list)
		pr_info("nmi: handler %-8s handled %lu\n", a->name, st->handled[a->index]);
	pr_info("perf: samples by pid slot:");
	for (i = 0; i < NR_SAMPLE_SLOTS; i++)
		pr_cont(" %lu (%d%%)", st->perf_samples[i],
			st->nmis ? div_round_closest((int)st->perf_samples[i] * 100, (int)st->nmis) : 0);
	pr_cont(", in irq %lu\n", st->perf_samples_in_irq);
}
