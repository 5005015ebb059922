/* mutex.h: include/linux/mutex.h-alike: sleeping locks with an owner */
#ifndef _MUTEX_H
#define _MUTEX_H

#include "spinlock.h"

struct task_struct;

/*
 * A mutex: owned by one task at a time.  Waiters spin with cpu_relax()
 * (the kernel's optimistic spinning; there is no wait queue to sleep on),
 * so it must not be held across schedule().
 */
struct mutex {
	volatile int		locked;
	struct task_struct	*owner;
	const char		*name;
};

#define __MUTEX_INITIALIZER(lockname)	{ .locked = 0, .owner = NULL, .name = #lockname }
#define DEFINE_MUTEX(mutexname)	struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

void __mutex_init(struct mutex *lock, const char *name);
#define mutex_init(mutex)	__mutex_init((mutex), #mutex)
void mutex_lock(struct mutex *lock);
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);

static inline bool mutex_is_locked(const struct mutex *lock)
{
	return lock->locked != 0;
}

#endif /* _MUTEX_H */
