/* rcu.c: kernel/rcu/tiny.c-alike: call_rcu callbacks run by a grace-period kthread */
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

int __init rcu_spawn_gp_kthread(void)
{
	rcu_gp_task = kthread_create(rcu_gp_kthread, NULL, "rcu_sched");
	if (IS_ERR(rcu_gp_task))
		return PTR_ERR(rcu_gp_task);
	return 0;
}

void __init rcu_init(void)
{
	timer_setup(&rcu_gp_timer, rcu_gp_kick, "rcu_gp_kick");
	mod_timer(&rcu_gp_timer, jiffies + RCU_GP_INTERVAL);
	pr_info("rcu: Hierarchical RCU implementation.\n");
	pr_info("rcu: RCU calculated value of scheduler-enlistment delay is %d jiffies.\n",
		RCU_GP_INTERVAL);
}
