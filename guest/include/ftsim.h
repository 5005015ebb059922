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

/* Hypercall numbers. */
#define HC_NOP		0	/* does nothing, returns 0 */
#define HC_CPU_ID	1	/* returns the calling CPU's number */
#define HC_CYCLES	2	/* returns the calling CPU's cycle counter */

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

#else /* FTSIM_NATIVE: the native shim stands in for the machine */

unsigned long ftsim_native_hypercall(unsigned long nr, unsigned long a0,
				     unsigned long a1, unsigned long a2,
				     unsigned long a3);
void ftsim_native_outb(unsigned short port, unsigned char val);
void ftsim_native_halt(void) __attribute__((noreturn));

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

#endif /* _FTSIM_H */
