/* file.c: fs/file.c + fs/file_table.c-alike: struct file lifetime and per-task fd tables */
#include "fs.h"
#include "sched.h"

static struct kmem_cache *filp_cachep;
static struct kmem_cache *files_cachep;
unsigned long nr_files_open;

void __init files_init(void)
{
	filp_cachep = kmem_cache_create("filp", sizeof(struct file), 0,
					SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_ACCOUNT, NULL);
	files_cachep = kmem_cache_create("files_cache", sizeof(struct files_struct), 0,
					 SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_ACCOUNT, NULL);
}

struct files_struct *alloc_files(void)
{
	struct files_struct *files = kmem_cache_zalloc(files_cachep, GFP_KERNEL);

	if (files)
		files->count = 1;
	return files;
}

struct file *alloc_empty_file(int flags)
{
	struct file *f = kmem_cache_zalloc(filp_cachep, GFP_KERNEL);

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->f_count = 1;
	f->f_flags = flags;
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		f->f_mode = FMODE_READ;
		break;
	case O_WRONLY:
		f->f_mode = FMODE_WRITE;
		break;
	case O_RDWR:
		f->f_mode = FMODE_READ | FMODE_WRITE;
		break;
	}
	f->f_mode |= FMODE_LSEEK;
	nr_files_open++;
	return f;
}

static void file_free_rcu(struct rcu_head *head)
{
	struct file *f = container_of(head, struct file, f_rcuhead);

	kmem_cache_free(filp_cachep, f);
}

static void __fput(struct file *file)
{
	struct dentry *dentry = file->f_dentry;
	struct inode *inode = file->f_inode;

	if (file->f_op && file->f_op->release)
		file->f_op->release(inode, file);
	file->f_dentry = NULL;
	file->f_inode = NULL;
	dput(dentry);
	nr_files_open--;
	call_rcu(&file->f_rcuhead, file_free_rcu);
}

void fput(struct file *file)
{
	if (--file->f_count == 0)
		__fput(file);
}

int get_unused_fd_flags(unsigned int flags)
{
	struct files_struct *files = current->files;
	unsigned long free_fds;
	unsigned int fd;

	(void)flags;
	/* First clear bit at or above next_fd. */
	free_fds = ~files->open_fds;
	if (files->next_fd >= NR_OPEN_DEFAULT)
		return -EMFILE;
	free_fds &= ~0UL << files->next_fd;
	if (!free_fds)
		return -EMFILE;
	fd = __builtin_ctzl(free_fds);
	files->open_fds |= 1UL << fd;
	files->next_fd = fd + 1;
	return fd;
}

void put_unused_fd(unsigned int fd)
{
	struct files_struct *files = current->files;

	files->open_fds &= ~(1UL << fd);
	if (fd < files->next_fd)
		files->next_fd = fd;
}

void fd_install(unsigned int fd, struct file *file)
{
	struct files_struct *files = current->files;

	if (files->fd_array[fd])
		panic("fd_install: fd %u already installed", fd);
	files->fd_array[fd] = file;
}

/* Take a reference to the file behind fd, or NULL. */
struct file *fget(unsigned int fd)
{
	struct files_struct *files = current->files;
	struct file *file;

	if (!files || fd >= NR_OPEN_DEFAULT)
		return NULL;
	file = files->fd_array[fd];
	if (file)
		file->f_count++;
	return file;
}

int filp_close(struct file *filp)
{
	if (filp->f_count <= 0) {
		pr_err("VFS: Close: file count is 0 (f_op=%p)\n", filp->f_op);
		return 0;
	}
	fput(filp);
	return 0;
}

int close_fd(unsigned int fd)
{
	struct files_struct *files = current->files;
	struct file *file;

	if (fd >= NR_OPEN_DEFAULT)
		return -EBADF;
	file = files->fd_array[fd];
	if (!file)
		return -EBADF;
	files->fd_array[fd] = NULL;
	put_unused_fd(fd);
	return filp_close(file);
}

long ksys_dup(unsigned int fildes)
{
	struct file *file = fget(fildes);
	int fd;

	if (!file)
		return -EBADF;
	fd = get_unused_fd_flags(0);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	fd_install(fd, file);
	return fd;
}
