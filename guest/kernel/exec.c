/* exec.c: fs/exec.c-alike: execve and kernel_execve: look the program up, check that it may run, become it */
#include "fs.h"
#include "sched.h"
#include "syscalls.h"

unsigned long nr_execs;

static const char *kbasename(const char *path)
{
	const char *tail = strrchr(path, '/');

	return tail ? tail + 1 : path;
}

/*
 * bprm_execve() for a program of this machine: it must be a regular file
 * with an execute bit (root included).  Past that point (begin_new_exec(),
 * under cred_guard_mutex) the task takes the program's name.
 */
static int bprm_execve(const char *filename)
{
	struct nameidata nd;
	struct inode *inode;
	int retval;

	retval = path_lookup(filename, 0, &nd);
	if (retval)
		return retval;
	inode = nd.dentry->d_inode;
	retval = -EACCES;
	if (S_ISREG(inode->i_mode) && (inode->i_mode & 0111)) {
		mutex_lock(&current->cred_guard_mutex);
		strscpy(current->comm, kbasename(filename), sizeof(current->comm));
		nr_execs++;
		mutex_unlock(&current->cred_guard_mutex);
		retval = 0;
	}
	path_put(&nd);
	return retval;
}

static noinline int do_execveat_common(int fd, struct filename *filename,
				       const char __user *const __user *argv,
				       const char __user *const __user *envp)
{
	int retval;

	(void)fd;
	(void)argv;
	(void)envp;
	if (IS_ERR(filename))
		return PTR_ERR(filename);
	retval = bprm_execve(filename->name);
	putname(filename);
	return retval;
}

static noinline int do_execve(struct filename *filename,
			      const char __user *const __user *argv,
			      const char __user *const __user *envp)
{
	return do_execveat_common(AT_FDCWD, filename, argv, envp);
}

long __x64_sys_execve(const struct pt_regs *regs)
{
	return do_execve(getname((const char __user *)regs->di),
			 (const char __user *const __user *)regs->si,
			 (const char __user *const __user *)regs->dx);
}

/* The kernel starting init: the same, with a name from kernel memory. */
int kernel_execve(const char *kernel_filename)
{
	struct filename *filename = getname_kernel(kernel_filename);
	int retval;

	if (IS_ERR(filename))
		return PTR_ERR(filename);
	retval = bprm_execve(filename->name);
	putname(filename);
	return retval;
}
