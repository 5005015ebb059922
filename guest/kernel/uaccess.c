/* uaccess.c: arch/x86/lib/usercopy_64.c + lib/strncpy_from_user.c-alike: checked "user" copies */
#include "fs.h"

/*
 * There is no separate user address space on this machine: "user" buffers
 * are ordinary memory owned by the workload.  access_ok still rejects NULL
 * and ranges that wrap, so bad pointers give -EFAULT like on Linux.
 */
bool access_ok(const void __user *addr, unsigned long size)
{
	unsigned long a = (unsigned long)addr;

	if (!a)
		return false;
	return a + size >= a;
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	if (!access_ok(to, n))
		return n;
	memcpy(to, from, n);
	return 0;
}

unsigned long copy_from_user(void *to, const void __user *from, unsigned long n)
{
	if (!access_ok(from, n)) {
		memset(to, 0, n);
		return n;
	}
	memcpy(to, from, n);
	return 0;
}

unsigned long clear_user(void __user *to, unsigned long n)
{
	if (!access_ok(to, n))
		return n;
	memset(to, 0, n);
	return 0;
}

/* Returns the length copied (not counting the NUL), count if no NUL fit, or -EFAULT. */
long strncpy_from_user(char *dst, const char __user *src, long count)
{
	long res = 0;

	if (count <= 0)
		return 0;
	if (!access_ok(src, 1))
		return -EFAULT;
	while (res < count) {
		char c = src[res];

		dst[res] = c;
		if (!c)
			return res;
		res++;
	}
	return res;
}
