/* spinlock.h: include/linux/{spinlock,smp_lock}.h + asm/{cmpxchg,atomic,spinlock}.h-alike: atomics, spinlocks, the BKL */
#ifndef _SPINLOCK_H
#define _SPINLOCK_H

#include "kernel.h"

/* ------------------------------------------------------- asm/cmpxchg.h */

/* xchg with a memory operand is locked by the CPU itself. */
static __always_inline unsigned int xchg32(volatile unsigned int *ptr, unsigned int val)
{
	asm volatile("xchgl %0, %1" : "+r"(val), "+m"(*ptr) : : "memory");
	return val;
}

static __always_inline int cmpxchg32(volatile int *ptr, int old, int new)
{
	int prev;

	asm volatile("lock cmpxchgl %2, %1"
		     : "=a"(prev), "+m"(*ptr) : "r"(new), "0"(old) : "memory");
	return prev;
}

/* -------------------------------------------------------- asm/atomic.h */

typedef struct {
	volatile int counter;
} atomic_t;

#define ATOMIC_INIT(i)	{ (i) }

static __always_inline int atomic_read(const atomic_t *v)
{
	return v->counter;
}

static __always_inline void atomic_set(atomic_t *v, int i)
{
	v->counter = i;
}

static __always_inline void atomic_inc(atomic_t *v)
{
	asm volatile("lock incl %0" : "+m"(v->counter) : : "memory");
}

/* Decrement; true when the result is zero. */
static __always_inline bool atomic_dec_and_test(atomic_t *v)
{
	bool zero;

	asm volatile("lock decl %0\n\tsete %1" : "+m"(v->counter), "=qm"(zero) : : "memory");
	return zero;
}

/* Add i; returns the new value. */
static __always_inline int atomic_add_return(int i, atomic_t *v)
{
	int old = i;

	asm volatile("lock xaddl %0, %1" : "+r"(old), "+m"(v->counter) : : "memory");
	return old + i;
}

/* ------------------------------------------------------ asm/spinlock.h */

/* A test-and-test-and-set lock: 0 free, 1 held. */
typedef struct {
	volatile unsigned int slock;
} arch_spinlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED	{ 0 }

static __always_inline bool arch_spin_is_locked(const arch_spinlock_t *lock)
{
	return lock->slock != 0;
}

static __always_inline bool arch_spin_trylock(arch_spinlock_t *lock)
{
	return xchg32(&lock->slock, 1) == 0;
}

static __always_inline void arch_spin_lock(arch_spinlock_t *lock)
{
	while (unlikely(!arch_spin_trylock(lock))) {
#ifdef FTSIM_NATIVE
		/* One thread of execution: nobody will ever release it. */
		ftsim_native_deadlock(lock);
#endif
		/* Spin on a plain read, and give up if another CPU panicked. */
		do {
			cpu_relax();
			if (unlikely(panic_cpu >= 0))
				stop_this_cpu();
		} while (arch_spin_is_locked(lock));
	}
}

/* x86 stores are not reordered with older loads or stores: a plain store releases. */
static __always_inline void arch_spin_unlock(arch_spinlock_t *lock)
{
	barrier();
	lock->slock = 0;
}

/* ---------------------------------------------------- linux/spinlock.h */

#define SPINLOCK_MAGIC	0xdead4ead

/* With CONFIG_DEBUG_SPINLOCK's owner tracking: recursion is a bug we report. */
typedef struct spinlock {
	arch_spinlock_t	raw_lock;
	unsigned int	magic;
	int		owner_cpu;
	const char	*name;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname) {			\
	.raw_lock	= __ARCH_SPIN_LOCK_UNLOCKED,		\
	.magic		= SPINLOCK_MAGIC,			\
	.owner_cpu	= -1,					\
	.name		= #lockname,				\
}
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

void spin_lock_init(spinlock_t *lock, const char *name);
void _raw_spin_lock(spinlock_t *lock);
void _raw_spin_unlock(spinlock_t *lock);
int _raw_spin_trylock(spinlock_t *lock);
unsigned long _raw_spin_lock_irqsave(spinlock_t *lock);
void _raw_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

#define spin_lock(lock)			_raw_spin_lock(lock)
#define spin_unlock(lock)		_raw_spin_unlock(lock)
#define spin_trylock(lock)		_raw_spin_trylock(lock)
#define spin_lock_irqsave(lock, flags)	do { (flags) = _raw_spin_lock_irqsave(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) _raw_spin_unlock_irqrestore(lock, flags)

static inline bool spin_is_locked(const spinlock_t *lock)
{
	return arch_spin_is_locked(&lock->raw_lock);
}

/* ---------------------------------------------------- linux/smp_lock.h */

/*
 * The big kernel lock: one spinlock around every system call, taken with
 * interrupts off and recursive per task (thread_info->lock_depth).
 * schedule() drops it across a switch and takes it back afterwards.
 */
void lock_kernel(void);
void unlock_kernel(void);
bool kernel_locked(void);
void release_kernel_lock(void);
void reacquire_kernel_lock(void);
extern spinlock_t kernel_flag;

#endif /* _SPINLOCK_H */
