/* stat.c: fs/stat.c-alike: getattr, stat/fstat and the copy-out to struct stat */
#include "fs.h"
#include "sched.h"
#include "div64.h"

void generic_fillattr(const struct inode *inode, struct kstat *stat)
{
	u8 bits = inode->i_sb->s_blocksize_bits;

	stat->dev = 0;
	stat->ino = inode->i_ino;
	stat->mode = inode->i_mode;
	stat->nlink = inode->i_nlink;
	stat->rdev = inode->i_rdev;
	stat->size = inode->i_size;
	stat->atime = inode->i_atime;
	stat->mtime = inode->i_mtime;
	stat->ctime = inode->i_ctime;
	stat->blksize = 1U << bits;
	/* st_blocks counts 512-byte units of the pages actually present. */
	stat->blocks = (u64)inode->i_data.nrpages << (PAGE_SHIFT - 9);
}

int vfs_getattr(const struct dentry *dentry, struct kstat *stat)
{
	struct inode *inode = dentry->d_inode;

	if (inode->i_op->getattr)
		return inode->i_op->getattr(dentry, stat);
	generic_fillattr(inode, stat);
	return 0;
}

int vfs_stat(const char __user *filename, struct kstat *stat)
{
	struct filename *name = getname(filename);
	struct nameidata nd;
	int error;

	if (IS_ERR(name))
		return PTR_ERR(name);
	error = path_lookup(name->name, 0, &nd);
	if (!error) {
		error = vfs_getattr(nd.dentry, stat);
		path_put(&nd);
	}
	putname(name);
	return error;
}

int vfs_fstat(unsigned int fd, struct kstat *stat)
{
	struct file *file = fget(fd);
	int error;

	if (!file)
		return -EBADF;
	error = vfs_getattr(file->f_dentry, stat);
	fput(file);
	return error;
}

/* Jiffies since boot, split into seconds and nanoseconds. */
static void jiffies_to_timespec(s64 j, unsigned long *sec, unsigned long *nsec)
{
	u64 rem;

	*sec = div64_u64_rem((u64)j * TICK_NSEC, NSEC_PER_SEC, &rem);
	*nsec = rem;
}

int cp_new_stat(const struct kstat *stat, struct stat __user *statbuf)
{
	struct stat tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.st_dev = stat->dev;
	tmp.st_ino = stat->ino;
	if (tmp.st_ino != stat->ino)
		return -EOVERFLOW;
	tmp.st_mode = stat->mode;
	tmp.st_nlink = stat->nlink;
	tmp.st_rdev = stat->rdev;
	tmp.st_size = stat->size;
	jiffies_to_timespec(stat->atime, &tmp.st_atime, &tmp.st_atime_nsec);
	jiffies_to_timespec(stat->mtime, &tmp.st_mtime, &tmp.st_mtime_nsec);
	jiffies_to_timespec(stat->ctime, &tmp.st_ctime, &tmp.st_ctime_nsec);
	tmp.st_blocks = stat->blocks;
	tmp.st_blksize = stat->blksize;
	return copy_to_user(statbuf, &tmp, sizeof(tmp)) ? -EFAULT : 0;
}
