/* rcu.c: kernel/rcu/{tiny,tree}.c-alike: call_rcu callbacks; grace periods by a kthread on one CPU, by quiescent-state masks on SMP, reported from RCU_SOFTIRQ */
#include "fs.h"
#include "sched.h"

#define RCU_GP_INTERVAL	3	/* jiffies between grace-period kicks */

/* Callbacks queued since the current grace period began ... */
static struct rcu_head *rcu_next_list;
static struct rcu_head **rcu_next_tail = &rcu_next_list;
/* ... and those waiting for it to end. */
static struct rcu_head *rcu_wait_list;
static unsigned long rcu_pending;

static struct task_struct *rcu_gp_task;
static struct timer_list rcu_gp_timer;

unsigned long rcu_gp_completed;
unsigned long rcu_callbacks_invoked;

/*
 * After smp_init(), classic RCU: a grace period ends once every online CPU
 * has passed a quiescent state (the end of a system call, or a tick: ticks
 * only reach a CPU outside system calls, and readers only live inside them).
 * Neither reports it on the spot: both leave it to RCU_SOFTIRQ, whose
 * handler (the kernel's rcu_core()) clears the CPU's bit under
 * rcu_state_lock, a lock only softirqs take.  A tick's softirq runs on the
 * way out of the interrupt; a system call's, raised with BHs disabled, runs
 * when it enables them again (local_bh_enable() -> do_softirq()).
 * The callback lists stay under the BKL: call_rcu() and
 * rcu_process_callbacks() only run in system calls.
 */
static DEFINE_SPINLOCK(rcu_state_lock);
static bool rcu_smp;
static unsigned long rcu_online_mask;
static unsigned long rcu_qs_pending;		/* CPUs still to report in this grace period */
static unsigned long rcu_gp_seq;		/* grace periods completed on SMP */
static unsigned long rcu_wait_gp_seq;		/* rcu_wait_list may run at this rcu_gp_seq */

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next = NULL;
	*rcu_next_tail = head;
	rcu_next_tail = &head->next;
	rcu_pending++;
}

static void rcu_do_batch(struct rcu_head *list)
{
	while (list) {
		struct rcu_head *next = list->next;

		list->func(list);
		rcu_callbacks_invoked++;
		rcu_pending--;
		list = next;
	}
}

/*
 * One grace period: everything that waited through the previous one is
 * now safe to free; what arrived since starts waiting.  (A task-level
 * context switch is our quiescent state: the kthread only runs after one.)
 */
static void rcu_gp_advance(void)
{
	struct rcu_head *done = rcu_wait_list;

	rcu_wait_list = rcu_next_list;
	rcu_next_list = NULL;
	rcu_next_tail = &rcu_next_list;
	rcu_gp_completed++;
	rcu_do_batch(done);
}

static int rcu_gp_kthread(void *data)
{
	(void)data;
	rcu_gp_advance();
	set_current_state(TASK_INTERRUPTIBLE);
	schedule();
	return 0;
}

static void rcu_gp_kick(struct timer_list *t)
{
	if (rcu_pending && rcu_gp_task)
		wake_up_process(rcu_gp_task);
	mod_timer(t, jiffies + RCU_GP_INTERVAL);
}

/* Wait for every queued callback to run. */
void rcu_barrier(void)
{
	rcu_gp_advance();
	rcu_gp_advance();
}

/* Before the softirq reports anything: nobody else takes the lock yet. */
void rcu_smp_init(unsigned long online_mask)
{
	spin_lock(&rcu_state_lock);
	rcu_online_mask = online_mask;
	rcu_qs_pending = online_mask;
	rcu_gp_seq = 0;
	rcu_wait_gp_seq = 2;
	spin_unlock(&rcu_state_lock);
	WRITE_ONCE(rcu_smp, true);
}

/* Does this CPU still owe the current grace period a quiescent state? */
static bool rcu_qs_owed(unsigned long bit)
{
	return READ_ONCE(rcu_smp) && (READ_ONCE(rcu_qs_pending) & bit);
}

/* Under rcu_state_lock: this CPU has passed a quiescent state. */
static void rcu_report_qs(unsigned long bit)
{
	if (!(rcu_qs_pending & bit))
		return;
	rcu_qs_pending &= ~bit;
	if (!rcu_qs_pending) {
		/* The grace period is over; the next one starts at once. */
		WRITE_ONCE(rcu_gp_seq, rcu_gp_seq + 1);
		rcu_qs_pending = rcu_online_mask;
	}
}

/*
 * The end of a system call (process context, interrupts on): this CPU is
 * outside any read-side critical section.  If the grace period waits for
 * it, RCU_SOFTIRQ reports that, at once: raised with BHs off, it runs when
 * they come back on.
 */
void rcu_note_quiescent_state(void)
{
	if (!rcu_qs_owed(1UL << smp_processor_id()))
		return;
	local_bh_disable();
	raise_softirq(RCU_SOFTIRQ);
	local_bh_enable();
}

/*
 * The tick (interrupt context): it struck outside any reader, so this CPU
 * is quiescent; if the grace period still waits for it, have RCU_SOFTIRQ
 * report that (invoke_rcu_core()).
 */
void rcu_sched_clock_irq(void)
{
	if (rcu_qs_owed(1UL << smp_processor_id()))
		raise_softirq(RCU_SOFTIRQ);
}

/* RCU_SOFTIRQ (rcu_core_si()): the only taker of rcu_state_lock, and softirqs do not nest. */
static void rcu_core_si(void)
{
	unsigned long bit = 1UL << smp_processor_id();

	if (!rcu_qs_owed(bit))
		return;
	spin_lock(&rcu_state_lock);
	rcu_report_qs(bit);
	spin_unlock(&rcu_state_lock);
}

/*
 * Under the BKL: run the batch that has waited a whole grace period, and
 * start the callbacks queued since waiting.  A grace period may have been
 * under way when they were queued; the one after it certainly began later.
 */
void rcu_process_callbacks(void)
{
	unsigned long seq;

	if (!rcu_smp)
		return;
	seq = READ_ONCE(rcu_gp_seq);
	if (rcu_wait_list && (long)(seq - rcu_wait_gp_seq) >= 0) {
		struct rcu_head *done = rcu_wait_list;

		rcu_wait_list = NULL;
		rcu_gp_completed++;
		rcu_do_batch(done);
	}
	if (!rcu_wait_list && rcu_next_list) {
		rcu_wait_list = rcu_next_list;
		rcu_next_list = NULL;
		rcu_next_tail = &rcu_next_list;
		rcu_wait_gp_seq = seq + 2;
	}
}

int __init rcu_spawn_gp_kthread(void)
{
	rcu_gp_task = kthread_create(rcu_gp_kthread, NULL, "rcu_sched");
	if (IS_ERR(rcu_gp_task))
		return PTR_ERR(rcu_gp_task);
	return 0;
}

void __init rcu_init(void)
{
	open_softirq(RCU_SOFTIRQ, rcu_core_si);
	timer_setup(&rcu_gp_timer, rcu_gp_kick, "rcu_gp_kick");
	mod_timer(&rcu_gp_timer, jiffies + RCU_GP_INTERVAL);
	pr_info("rcu: Hierarchical RCU implementation.\n");
	pr_info("rcu: RCU calculated value of scheduler-enlistment delay is %d jiffies.\n",
		RCU_GP_INTERVAL);
}
