/* spinlock.c: kernel/locking/spinlock.c + spinlock_debug.c + lib/kernel_lock.c-alike: out-of-line spinlocks and the BKL */
#include "sched.h"

static void __noreturn spin_bug(spinlock_t *lock, const char *msg)
{
	/* panic() prints without waiting for logbuf_lock once oops_in_progress is set. */
	oops_in_progress = 1;
	panic("spinlock %s: %s on CPU#%u, owner_cpu %d", lock->name, msg,
	      smp_processor_id(), lock->owner_cpu);
}

static inline void debug_spin_lock_before(spinlock_t *lock)
{
	if (unlikely(lock->magic != SPINLOCK_MAGIC))
		spin_bug(lock, "bad magic");
	if (unlikely(lock->owner_cpu == (int)smp_processor_id()))
		spin_bug(lock, "recursion");
}

static inline void debug_spin_lock_after(spinlock_t *lock)
{
	lock->owner_cpu = smp_processor_id();
}

static inline void debug_spin_unlock(spinlock_t *lock)
{
	if (unlikely(!arch_spin_is_locked(&lock->raw_lock)))
		spin_bug(lock, "already unlocked");
	if (unlikely(lock->owner_cpu != (int)smp_processor_id()))
		spin_bug(lock, "wrong CPU");
	lock->owner_cpu = -1;
}

void spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->raw_lock.slock = 0;
	lock->magic = SPINLOCK_MAGIC;
	lock->owner_cpu = -1;
	lock->name = name;
}

/* The caller has interrupts off (or cannot be interrupted by a user of this lock). */
void _raw_spin_lock(spinlock_t *lock)
{
	debug_spin_lock_before(lock);
	arch_spin_lock(&lock->raw_lock);
	debug_spin_lock_after(lock);
}

void _raw_spin_unlock(spinlock_t *lock)
{
	debug_spin_unlock(lock);
	arch_spin_unlock(&lock->raw_lock);
}

int _raw_spin_trylock(spinlock_t *lock)
{
	if (!arch_spin_trylock(&lock->raw_lock))
		return 0;
	debug_spin_lock_after(lock);
	return 1;
}

/*
 * Interrupts stay off while we spin: the machine's host preempts a task
 * whenever a tick finds interrupts on, so a holder with interrupts on could
 * be switched out with the lock held and its CPU's next task would spin
 * for a whole time slice.
 */
unsigned long _raw_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = local_irq_save();

	_raw_spin_lock(lock);
	return flags;
}

void _raw_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	_raw_spin_unlock(lock);
	local_irq_restore(flags);
}

/* ------------------------------------------------------------------ BKL */

DEFINE_SPINLOCK(kernel_flag);

void lock_kernel(void)
{
	struct thread_info *ti = current_thread_info();
	int depth = ti->lock_depth + 1;

	if (likely(!depth)) {
		unsigned long flags = local_irq_save();

		_raw_spin_lock(&kernel_flag);
		ti->bkl_flags = flags;
	}
	ti->lock_depth = depth;
}

void unlock_kernel(void)
{
	struct thread_info *ti = current_thread_info();

	if (unlikely(ti->lock_depth < 0))
		panic("unlock_kernel: BKL not held");
	if (likely(--ti->lock_depth < 0)) {
		unsigned long flags = ti->bkl_flags;

		_raw_spin_unlock(&kernel_flag);
		local_irq_restore(flags);
	}
}

bool kernel_locked(void)
{
	return current_thread_info()->lock_depth >= 0;
}

/* schedule(): a task that sleeps or yields lets others have the BKL meanwhile. */
void release_kernel_lock(void)
{
	if (current_thread_info()->lock_depth >= 0)
		_raw_spin_unlock(&kernel_flag);
}

void reacquire_kernel_lock(void)
{
	if (current_thread_info()->lock_depth >= 0)
		_raw_spin_lock(&kernel_flag);
}
