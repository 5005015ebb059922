/* open.c: fs/open.c-alike: do_sys_open, vfs_open, truncate, access, chdir/getcwd */
#include "fs.h"
#include "sched.h"

static int build_open_flags(int flags, umode_t mode, struct open_flags *op)
{
	int acc_mode = 0;

	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if ((flags & O_ACCMODE) != O_WRONLY)
		acc_mode |= FMODE_READ;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		acc_mode |= FMODE_WRITE;
	op->open_flag = flags;
	op->mode = (flags & O_CREAT) ? (mode & S_IRWXUGO) : 0;
	op->acc_mode = acc_mode;
	return 0;
}

int vfs_open(struct dentry *dentry, struct file *file)
{
	struct inode *inode = dentry->d_inode;
	int err = 0;

	file->f_dentry = dget(dentry);
	file->f_inode = inode;
	file->f_op = inode->i_fop;
	if (file->f_op && file->f_op->open)
		err = file->f_op->open(inode, file);
	return err;
}

long do_sys_open(int dfd, const char __user *filename, int flags, umode_t mode)
{
	struct open_flags op;
	struct filename *tmp;
	struct file *f;
	int fd;

	fd = build_open_flags(flags, mode, &op);
	if (fd)
		return fd;

	tmp = getname(filename);
	if (IS_ERR(tmp))
		return PTR_ERR(tmp);

	fd = get_unused_fd_flags(flags);
	if (fd >= 0) {
		f = do_filp_open(dfd, tmp, &op);
		if (IS_ERR(f)) {
			put_unused_fd(fd);
			fd = PTR_ERR(f);
		} else {
			fd_install(fd, f);
		}
	}
	putname(tmp);
	return fd;
}

/* Kernel-internal open, for boot code. */
struct file *filp_open(const char *filename, int flags, umode_t mode)
{
	struct filename *name = getname_kernel(filename);
	struct open_flags op;
	struct file *file;
	int err;

	if (IS_ERR(name))
		return ERR_PTR(PTR_ERR(name));
	err = build_open_flags(flags, mode, &op);
	if (err) {
		putname(name);
		return ERR_PTR(err);
	}
	file = do_filp_open(AT_FDCWD, name, &op);
	putname(name);
	return file;
}

int do_truncate(struct dentry *dentry, loff_t length)
{
	struct inode *inode = dentry->d_inode;

	if (length < 0)
		return -EINVAL;
	if (!inode->i_op->setattr)
		return -EPERM;
	return inode->i_op->setattr(dentry, length);
}

long do_sys_ftruncate(unsigned int fd, loff_t length)
{
	struct file *file;
	long error;

	if (length < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	error = -EINVAL;
	if (S_ISDIR(file->f_inode->i_mode))
		error = -EISDIR;
	else if (!(file->f_mode & FMODE_WRITE))
		error = -EINVAL;
	else
		error = do_truncate(file->f_dentry, length);
	fput(file);
	return error;
}

long do_faccessat(int dfd, const char __user *filename, int mode)
{
	struct filename *name;
	struct nameidata nd;
	umode_t i_mode;
	long res;

	(void)dfd;
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	name = getname(filename);
	if (IS_ERR(name))
		return PTR_ERR(name);
	res = path_lookup(name->name, 0, &nd);
	if (!res) {
		i_mode = nd.dentry->d_inode->i_mode;
		/* We run as root: only execute needs some x bit (or a directory). */
		if ((mode & X_OK) && !S_ISDIR(i_mode) && !(i_mode & 0111))
			res = -EPERM;
		path_put(&nd);
	}
	putname(name);
	return res;
}

long ksys_chdir(const char __user *filename)
{
	struct filename *name = getname(filename);
	struct nameidata nd;
	long error;

	if (IS_ERR(name))
		return PTR_ERR(name);
	error = path_lookup(name->name, LOOKUP_DIRECTORY, &nd);
	if (!error) {
		dput(current->pwd);
		current->pwd = nd.dentry;	/* keeps nd's reference */
	}
	putname(name);
	return error;
}

long ksys_getcwd(char __user *buf, unsigned long size)
{
	char page[PATH_MAX];
	struct dentry *pwd = current->pwd ? current->pwd : ramfs_sb->s_root;
	int len = d_path(pwd, page, sizeof(page));

	if (len < 0)
		return len;
	if ((unsigned long)len + 1 > size)
		return -ERANGE;
	if (copy_to_user(buf, page, len + 1))
		return -EFAULT;
	return len + 1;
}
