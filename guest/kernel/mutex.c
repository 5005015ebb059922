/* mutex.c: kernel/locking/mutex.c-alike: mutex_lock, mutex_trylock, mutex_unlock */
#include "sched.h"

void __mutex_init(struct mutex *lock, const char *name)
{
	lock->locked = 0;
	lock->owner = NULL;
	lock->name = name;
}

/* One attempt: 1 when the lock is now ours, 0 when someone holds it. */
int mutex_trylock(struct mutex *lock)
{
	if (cmpxchg32(&lock->locked, 0, 1) != 0)
		return 0;
	lock->owner = current;
	return 1;
}

static noinline void __mutex_lock_slowpath(struct mutex *lock)
{
	while (!mutex_trylock(lock)) {
#ifdef FTSIM_NATIVE
		/* One thread of execution: nobody will ever release it. */
		ftsim_native_deadlock(lock);
#endif
		if (unlikely(lock->owner == current))
			panic("mutex %s: recursive lock by %s/%d", lock->name,
			      current->comm, current->pid);
		do {
			cpu_relax();
		} while (mutex_is_locked(lock));
	}
}

void mutex_lock(struct mutex *lock)
{
	if (likely(mutex_trylock(lock)))
		return;
	__mutex_lock_slowpath(lock);
}

void mutex_unlock(struct mutex *lock)
{
	if (unlikely(lock->owner != current))
		panic("mutex %s: unlocked by %s/%d, not its owner", lock->name,
		      current->comm, current->pid);
	lock->owner = NULL;
	barrier();
	lock->locked = 0;
}
