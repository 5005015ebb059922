/* smp.c: kernel/smp.c + arch/x86/kernel/smpboot.c-alike: bringing up the secondary CPUs, per-CPU data */
#include "sched.h"
#include "slab.h"

struct cpu_data cpu_data[NR_CPUS];
unsigned int nr_cpu_ids = 1;
unsigned long cpu_online_mask = 1;

/*
 * Start the other CPUs.  Each comes up in the machine's idle loop with its
 * local timer running; from here on every tick_handler() and nmi_handler()
 * may run on any CPU.
 */
unsigned int __init smp_init(void)
{
	unsigned long n;

	pr_info("smp: Bringing up secondary CPUs ...\n");
	n = ftsim_smp_boot();
	if (n < 1 || n > NR_CPUS)
		panic("smp: the machine reports %lu CPUs (at most %d supported)", n, NR_CPUS);
	nr_cpu_ids = n;
	cpu_online_mask = n == BITS_PER_LONG ? ~0UL : (1UL << n) - 1;
	rcu_smp_init(cpu_online_mask);
	pr_info("smp: Brought up 1 node, %lu CPU%s\n", n, n > 1 ? "s" : "");

	/* Their workers need room of their own. */
	lock_kernel();
	online_hotplug_pages();
	unlock_kernel();
	return n;
}
