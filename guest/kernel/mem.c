/* mem.c: drivers/char/mem.c-alike: /dev/null, /dev/zero, /dev/full behind one chrdev open */
#include "fs.h"

static ssize_t read_null(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	(void)file;
	(void)buf;
	(void)count;
	(void)ppos;
	return 0;
}

static ssize_t write_null(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	(void)file;
	(void)buf;
	(void)ppos;
	return count;
}

static ssize_t read_zero(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	(void)file;
	(void)ppos;
	if (clear_user(buf, count))
		return -EFAULT;
	return count;
}

static ssize_t write_full(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	(void)file;
	(void)buf;
	(void)count;
	(void)ppos;
	return -ENOSPC;
}

static loff_t null_lseek(struct file *file, loff_t offset, int orig)
{
	(void)orig;
	(void)offset;
	return file->f_pos = 0;
}

static const struct file_operations null_fops = {
	.llseek	= null_lseek,
	.read	= read_null,
	.write	= write_null,
};

static const struct file_operations zero_fops = {
	.llseek	= null_lseek,
	.read	= read_zero,
	.write	= write_null,
};

static const struct file_operations full_fops = {
	.llseek	= null_lseek,
	.read	= read_zero,
	.write	= write_full,
};

static const struct memdev {
	const char			*name;
	const struct file_operations	*fops;
} devlist[] = {
	[3] = { "null", &null_fops },
	[5] = { "zero", &zero_fops },
	[7] = { "full", &full_fops },
};

/* The chrdev open switches f_op to the minor's own operations. */
static int memory_open(struct inode *inode, struct file *filp)
{
	unsigned int minor = MINOR(inode->i_rdev);
	const struct memdev *dev;

	if (minor >= ARRAY_SIZE(devlist))
		return -ENXIO;
	dev = &devlist[minor];
	if (!dev->fops)
		return -ENXIO;
	filp->f_op = dev->fops;
	if (dev->fops->open)
		return dev->fops->open(inode, filp);
	return 0;
}

static const struct file_operations memory_fops = {
	.open	= memory_open,
};

static int bad_open(struct inode *inode, struct file *filp)
{
	(void)inode;
	(void)filp;
	return -ENXIO;
}

static const struct file_operations bad_sock_fops = {
	.open	= bad_open,
};

void init_special_inode(struct inode *inode, umode_t mode, unsigned int rdev)
{
	inode->i_mode = mode;
	if (S_ISCHR(mode)) {
		inode->i_fop = MAJOR(rdev) == MEM_MAJOR ? &memory_fops : &bad_sock_fops;
		inode->i_rdev = rdev;
	} else {
		inode->i_fop = &bad_sock_fops;
	}
}
