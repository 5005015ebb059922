/* sys_ni.c: kernel/sys_ni.c-alike: the handler of every system call this kernel does not implement */
#include "kernel.h"

long sys_ni_syscall(void)
{
	return -ENOSYS;
}
