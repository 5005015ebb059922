/* ftsim.h: the guest's view of the ftsim machine (console port, hypercalls, irq/halt primitives) */
#ifndef _FTSIM_H
#define _FTSIM_H

/*
 * Machine conventions (see README):
 *  - bytes written with `out` to I/O port 0xE9 are the console (debugcon);
 *  - `hlt` with interrupts off halts the CPU for good;
 *  - `vmcall` (0f 01 c1) is the hypercall: number in rax, arguments in
 *    rdi, rsi, rdx, r10, result in rax.
 *
 * With FTSIM_NATIVE defined the same API is provided by the native shim
 * (guest/native/), so the kernel sources also build as a Linux program.
 */

#define FTSIM_CONSOLE_PORT	0xE9

/* Hypercall numbers: 0..2 belong to the machine, 3.. to the ftsim kernel. */
#define HC_NOP		0	/* does nothing, returns 0 */
#define HC_CPU_ID	1	/* returns the calling CPU's number */
#define HC_CYCLES	2	/* returns the calling CPU's cycle counter */
#define HC_SPAWN	3	/* spawn(fn, arg, cpu): a task running fn(arg) on cpu -> pid or -errno */
#define HC_YIELD	4	/* give the CPU to the next runnable task on it -> 0 */
#define HC_EXIT		5	/* end the current task; never returns */
#define HC_SMP_BOOT	6	/* start the secondary CPUs and the local timers -> number of CPUs */
#define HC_IDLE		7	/* internal to the host's idle loop */
#define HC_CURRENT	8	/* pid of the current task */
#define HC_INIT_MODULE	9	/* init_module(name): load the module the host provides under name, run its init -> 0 or -errno */
#define HC_DELETE_MODULE 10	/* delete_module(name): run its cleanup_module and unload it -> 0 or -errno */

/*
 * Every task the host spawns gets a THREAD_SIZE stack aligned to THREAD_SIZE
 * and starts with interrupts on; the boot stack's top THREAD_SIZE chunk is
 * aligned the same way.  So the base of the stack chunk holding %rsp is a
 * per-task area (the kernel keeps its struct thread_info there).  Tasks
 * never migrate between CPUs.
 */
#define FTSIM_THREAD_SIZE	16384UL
#define X86_EFLAGS_IF		0x200UL

#ifndef FTSIM_NATIVE

static inline unsigned long ftsim_hypercall0(unsigned long nr)
{
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

static inline unsigned long ftsim_hypercall1(unsigned long nr, unsigned long a0)
{
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0) : "memory");
	return ret;
}

static inline unsigned long ftsim_hypercall2(unsigned long nr, unsigned long a0,
					     unsigned long a1)
{
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1) : "memory");
	return ret;
}

static inline unsigned long ftsim_hypercall3(unsigned long nr, unsigned long a0,
					     unsigned long a1, unsigned long a2)
{
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
	return ret;
}

static inline unsigned long ftsim_hypercall4(unsigned long nr, unsigned long a0,
					     unsigned long a1, unsigned long a2,
					     unsigned long a3)
{
	register unsigned long r10 asm("r10") = a3;
	unsigned long ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10) : "memory");
	return ret;
}

static inline void outb(unsigned short port, unsigned char val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void local_irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void local_irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

/* With interrupts off this never returns: the machine halts the CPU for good. */
static inline void halt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline unsigned long local_save_flags(void)
{
	unsigned long flags;

	asm volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}

/* arch_local_irq_save(): the flags as they were, then interrupts off. */
static inline unsigned long local_irq_save(void)
{
	unsigned long flags = local_save_flags();

	local_irq_disable();
	return flags;
}

static inline void local_irq_restore(unsigned long flags)
{
	if (flags & X86_EFLAGS_IF)
		local_irq_enable();
}

/* The THREAD_SIZE-aligned base of the stack the CPU is running on. */
static inline void *ftsim_thread_area(void)
{
	unsigned long sp;

	asm("movq %%rsp, %0" : "=r"(sp));
	return (void *)(sp & ~(FTSIM_THREAD_SIZE - 1));
}

#else /* FTSIM_NATIVE: the native shim stands in for the machine */

unsigned long ftsim_native_hypercall(unsigned long nr, unsigned long a0,
				     unsigned long a1, unsigned long a2,
				     unsigned long a3);
void ftsim_native_outb(unsigned short port, unsigned char val);
void ftsim_native_halt(void) __attribute__((noreturn));
void *ftsim_native_thread_area(void);
void ftsim_native_deadlock(const void *lock) __attribute__((noreturn));

static inline unsigned long ftsim_hypercall0(unsigned long nr)
{
	return ftsim_native_hypercall(nr, 0, 0, 0, 0);
}

static inline unsigned long ftsim_hypercall1(unsigned long nr, unsigned long a0)
{
	return ftsim_native_hypercall(nr, a0, 0, 0, 0);
}

static inline unsigned long ftsim_hypercall2(unsigned long nr, unsigned long a0,
					     unsigned long a1)
{
	return ftsim_native_hypercall(nr, a0, a1, 0, 0);
}

static inline unsigned long ftsim_hypercall3(unsigned long nr, unsigned long a0,
					     unsigned long a1, unsigned long a2)
{
	return ftsim_native_hypercall(nr, a0, a1, a2, 0);
}

static inline unsigned long ftsim_hypercall4(unsigned long nr, unsigned long a0,
					     unsigned long a1, unsigned long a2,
					     unsigned long a3)
{
	return ftsim_native_hypercall(nr, a0, a1, a2, a3);
}

static inline void outb(unsigned short port, unsigned char val)
{
	ftsim_native_outb(port, val);
}

static inline void local_irq_disable(void) { }
static inline void local_irq_enable(void) { }

static inline void halt(void)
{
	ftsim_native_halt();
}

static inline void cpu_relax(void) { }

/* One thread of execution natively: there is no interrupt to hold off. */
static inline unsigned long local_save_flags(void) { return X86_EFLAGS_IF; }
static inline unsigned long local_irq_save(void) { return X86_EFLAGS_IF; }
static inline void local_irq_restore(unsigned long flags) { (void)flags; }

/* The shim keeps one THREAD_SIZE area per native "task". */
static inline void *ftsim_thread_area(void)
{
	return ftsim_native_thread_area();
}

#endif /* FTSIM_NATIVE */

static inline void console_putc(char c)
{
	outb(FTSIM_CONSOLE_PORT, (unsigned char)c);
}

/* Convenience wrappers over the hypercalls. */
static inline unsigned long ftsim_cpu_id(void)
{
	return ftsim_hypercall0(HC_CPU_ID);
}

static inline unsigned long ftsim_cycles(void)
{
	return ftsim_hypercall0(HC_CYCLES);
}

/*
 * Start a task running fn(arg) on CPU `cpu` (interrupts on); it exits when
 * fn returns.  Natively fn runs to completion before this returns.
 */
static inline long ftsim_spawn(int (*fn)(void *), void *arg, unsigned int cpu)
{
	return (long)ftsim_hypercall3(HC_SPAWN, (unsigned long)fn, (unsigned long)arg, cpu);
}

static inline void ftsim_yield(void)
{
	(void)ftsim_hypercall0(HC_YIELD);
}

/* End the current task (natively: the program, once its output is flushed). */
static inline __attribute__((noreturn)) void ftsim_exit(void)
{
	(void)ftsim_hypercall0(HC_EXIT);
	__builtin_unreachable();
}

/* Start the secondary CPUs; returns how many CPUs there are. */
static inline unsigned long ftsim_smp_boot(void)
{
	return ftsim_hypercall0(HC_SMP_BOOT);
}

static inline long ftsim_current_pid(void)
{
	return (long)ftsim_hypercall0(HC_CURRENT);
}

#endif /* _FTSIM_H */
