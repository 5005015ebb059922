/* read_write.c: fs/read_write.c-alike: vfs_read/vfs_write, ksys_read/ksys_write, lseek, pread/pwrite */
#include "fs.h"
#include "sched.h"

static int rw_verify_area(int read_write, struct file *file, const loff_t *ppos, size_t count)
{
	loff_t pos;

	(void)read_write;
	(void)file;
	if (unlikely((ssize_t)count < 0))
		return -EINVAL;
	if (ppos) {
		pos = *ppos;
		if (unlikely(pos < 0))
			return -EINVAL;
		if (unlikely((loff_t)(pos + count) < 0))
			return -EOVERFLOW;
	}
	return 0;
}

static inline void add_rchar(struct task_struct *tsk, ssize_t amt)
{
	tsk->ioac.rchar += amt;
}

static inline void add_wchar(struct task_struct *tsk, ssize_t amt)
{
	tsk->ioac.wchar += amt;
}

ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
{
	ssize_t ret;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (!file->f_op->read)
		return -EINVAL;
	if (unlikely(!access_ok(buf, count)))
		return -EFAULT;

	ret = rw_verify_area(0, file, pos, count);
	if (ret)
		return ret;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;

	ret = file->f_op->read(file, buf, count, pos);
	if (ret > 0) {
		file->f_inode->i_atime = jiffies;
		add_rchar(current, ret);
	}
	current->ioac.syscr++;
	return ret;
}

ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ssize_t ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!file->f_op->write)
		return -EINVAL;
	if (unlikely(!access_ok(buf, count)))
		return -EFAULT;

	ret = rw_verify_area(1, file, pos, count);
	if (ret)
		return ret;
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;

	ret = file->f_op->write(file, buf, count, pos);
	if (ret > 0)
		add_wchar(current, ret);
	current->ioac.syscw++;
	return ret;
}

ssize_t kernel_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	return vfs_read(file, buf, count, pos);
}

ssize_t kernel_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	return vfs_write(file, buf, count, pos);
}

static inline loff_t *file_ppos(struct file *file)
{
	return (file->f_mode & FMODE_LSEEK) ? &file->f_pos : NULL;
}

ssize_t ksys_read(unsigned int fd, char __user *buf, size_t count)
{
	struct file *file = fget(fd);
	ssize_t ret;

	if (!file)
		return -EBADF;
	{
		loff_t pos, *ppos = file_ppos(file);

		if (ppos) {
			pos = *ppos;
			ppos = &pos;
		}
		ret = vfs_read(file, buf, count, ppos);
		if (ret >= 0 && ppos)
			file->f_pos = pos;
	}
	fput(file);
	return ret;
}

ssize_t ksys_write(unsigned int fd, const char __user *buf, size_t count)
{
	struct file *file = fget(fd);
	ssize_t ret;

	if (!file)
		return -EBADF;
	{
		loff_t pos, *ppos = file_ppos(file);

		if (ppos) {
			pos = *ppos;
			ppos = &pos;
		}
		ret = vfs_write(file, buf, count, ppos);
		if (ret >= 0 && ppos)
			file->f_pos = pos;
	}
	fput(file);
	return ret;
}

ssize_t ksys_pread64(unsigned int fd, char __user *buf, size_t count, loff_t pos)
{
	struct file *file;
	ssize_t ret;

	if (pos < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = -ESPIPE;
	if (file->f_mode & FMODE_LSEEK)
		ret = vfs_read(file, buf, count, &pos);
	fput(file);
	return ret;
}

ssize_t ksys_pwrite64(unsigned int fd, const char __user *buf, size_t count, loff_t pos)
{
	struct file *file;
	ssize_t ret;

	if (pos < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = -ESPIPE;
	if (file->f_mode & FMODE_LSEEK)
		ret = vfs_write(file, buf, count, &pos);
	fput(file);
	return ret;
}

static loff_t vfs_setpos(struct file *file, loff_t offset, loff_t maxsize)
{
	if (offset < 0 || offset > maxsize)
		return -EINVAL;
	file->f_pos = offset;
	return offset;
}

loff_t generic_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file->f_inode;
	loff_t maxsize = inode->i_sb->s_maxbytes;
	loff_t eof = inode->i_size;

	switch (whence) {
	case SEEK_END:
		offset += eof;
		break;
	case SEEK_CUR:
		if (offset == 0)
			return file->f_pos;
		offset += file->f_pos;
		break;
	case SEEK_SET:
		break;
	default:
		return -EINVAL;
	}
	return vfs_setpos(file, offset, maxsize);
}

loff_t vfs_llseek(struct file *file, loff_t offset, int whence)
{
	if (!(file->f_mode & FMODE_LSEEK) || !file->f_op->llseek)
		return -ESPIPE;
	return file->f_op->llseek(file, offset, whence);
}

long ksys_lseek(unsigned int fd, loff_t offset, unsigned int whence)
{
	struct file *file;
	loff_t res;

	if (whence > SEEK_MAX)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	res = vfs_llseek(file, offset, whence);
	fput(file);
	return res;
}

long ksys_fsync(unsigned int fd)
{
	struct file *file = fget(fd);
	long ret = -EINVAL;

	if (!file)
		return -EBADF;
	if (file->f_op->fsync)
		ret = file->f_op->fsync(file, 0, file->f_inode->i_size, 0);
	fput(file);
	return ret;
}
