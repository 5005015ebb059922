/* proc.c: fs/proc/{inode,generic}.c + interrupts.c-alike: /proc entries behind proc_reg_read/proc_reg_write, and /proc/interrupts */
#include "fs.h"
#include "sched.h"

/* include/linux/proc_fs.h */
struct proc_ops {
	ssize_t	(*proc_read)(struct file *file, char __user *buf, size_t count, loff_t *pos);
	ssize_t	(*proc_write)(struct file *file, const char __user *buf, size_t count, loff_t *pos);
};

struct proc_dir_entry {
	const char		*name;
	umode_t			mode;
	const struct proc_ops	*proc_ops;
};

static inline struct proc_dir_entry *PDE(const struct inode *inode)
{
	return inode->i_private;
}

static ssize_t pde_read(struct proc_dir_entry *pde, struct file *file, char __user *buf,
			size_t count, loff_t *ppos)
{
	if (pde->proc_ops->proc_read)
		return pde->proc_ops->proc_read(file, buf, count, ppos);
	return -EIO;
}

/* A proc file without a write method refuses writes with -EIO (echo > /proc/interrupts). */
static ssize_t pde_write(struct proc_dir_entry *pde, struct file *file, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	if (pde->proc_ops->proc_write)
		return pde->proc_ops->proc_write(file, buf, count, ppos);
	return -EIO;
}

/* Entries here are permanent (never removed): no use count to take. */
static ssize_t proc_reg_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	return pde_read(PDE(file->f_inode), file, buf, count, ppos);
}

static ssize_t proc_reg_write(struct file *file, const char __user *buf, size_t count,
			      loff_t *ppos)
{
	return pde_write(PDE(file->f_inode), file, buf, count, ppos);
}

static const struct file_operations proc_reg_file_ops = {
	.read	= proc_reg_read,
	.write	= proc_reg_write,
};

/*
 * proc_create(): the entry's inode under /proc.  This kernel has no procfs
 * super block: the entry is a node of the root ramfs whose operations are
 * procfs's own.
 */
static int __init proc_create(struct proc_dir_entry *pde)
{
	char path[64];
	struct nameidata nd;
	long err;

	snprintf(path, sizeof(path), "/proc/%s", pde->name);
	err = do_mknodat(AT_FDCWD, getname_kernel(path), S_IFREG | pde->mode, 0);
	if (err)
		return err;
	err = path_lookup(path, 0, &nd);
	if (err)
		return err;
	nd.dentry->d_inode->i_fop = &proc_reg_file_ops;
	nd.dentry->d_inode->i_private = pde;
	path_put(&nd);
	return 0;
}

/* ------------------------------------------------- /proc/interrupts */

static char interrupts_text[64 + NR_CPUS * 24];

/* show_interrupts(): the local timer and NMI counts of every online CPU. */
static size_t show_interrupts(char *buf, size_t size)
{
	size_t len = scnprintf(buf, size, "     ");
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		len += scnprintf(buf + len, size - len, "      CPU%-3u", cpu);
	len += scnprintf(buf + len, size - len, "\nLOC:");
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		len += scnprintf(buf + len, size - len, " %10lu", cpu_data[cpu].timer_ticks);
	len += scnprintf(buf + len, size - len, "   Local timer interrupts\nNMI:");
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		len += scnprintf(buf + len, size - len, " %10lu", cpu_data[cpu].nmi.nmis);
	len += scnprintf(buf + len, size - len, "   Non-maskable interrupts\n");
	return len;
}

static ssize_t interrupts_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	size_t len = show_interrupts(interrupts_text, sizeof(interrupts_text));
	loff_t pos = *ppos;

	(void)file;
	if (pos < 0)
		return -EINVAL;
	if ((size_t)pos >= len)
		return 0;
	if (count > len - pos)
		count = len - pos;
	if (copy_to_user(buf, interrupts_text + pos, count))
		return -EFAULT;
	*ppos = pos + count;
	return count;
}

static const struct proc_ops interrupts_proc_ops = {
	.proc_read	= interrupts_read,
};

static struct proc_dir_entry proc_interrupts = {
	.name		= "interrupts",
	.mode		= 0444,
	.proc_ops	= &interrupts_proc_ops,
};

int __init proc_interrupts_init(void)
{
	return proc_create(&proc_interrupts);
}
