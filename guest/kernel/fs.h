/* fs.h: include/linux/{fs,dcache,namei,fcntl,stat}.h-alike: VFS objects and their operations */
#ifndef _FS_H
#define _FS_H

#include "list.h"
#include "rbtree.h"
#include "slab.h"

/* stat.h */
#define S_IFMT		00170000
#define S_IFREG		0100000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)	(((m) & S_IFMT) == S_IFCHR)
#define S_IRWXUGO	00777

/* fcntl.h */
#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_WRONLY	00000001
#define O_RDWR		00000002
#define O_CREAT		00000100
#define O_EXCL		00000200
#define O_TRUNC		00001000
#define O_APPEND	00002000
#define O_DIRECTORY	00200000
#define AT_FDCWD	-100

#define R_OK		4
#define W_OK		2
#define X_OK		1

#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define SEEK_MAX	SEEK_END

#define FMODE_READ	0x1
#define FMODE_WRITE	0x2
#define FMODE_LSEEK	0x4

#define MAX_RW_COUNT	(0x7ffff000L)
#define PATH_MAX	256
#define NAME_MAX	255
#define DNAME_INLINE_LEN 32
#define NR_OPEN_DEFAULT	BITS_PER_LONG

#define MKDEV(ma, mi)	(((ma) << 20) | (mi))
#define MAJOR(dev)	((unsigned int)((dev) >> 20))
#define MINOR(dev)	((unsigned int)((dev) & ((1U << 20) - 1)))
#define MEM_MAJOR	1

/* inode->i_state */
#define I_DIRTY_SYNC	(1 << 0)
#define I_DIRTY_PAGES	(1 << 2)
#define I_DIRTY		(I_DIRTY_SYNC | I_DIRTY_PAGES)
#define I_FREEING	(1 << 5)

/* nameidata flags */
#define LOOKUP_DIRECTORY 0x0002
#define LOOKUP_PARENT	0x0010
#define MAX_NESTED_PATH	32

enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct inode;
struct dentry;
struct file;
struct super_block;
struct kstat;

struct qstr {
	u32		hash;
	u32		len;
	const char	*name;
};

struct rcu_head {
	struct rcu_head	*next;
	void		(*func)(struct rcu_head *head);
};

/* One cached page of a file, indexed by page number in the inode's tree. */
struct cache_page {
	struct rb_node	rb;
	unsigned long	index;
	u8		*data;
};

struct address_space {
	struct rb_root	i_pages;
	unsigned long	nrpages;
};

struct file_operations {
	loff_t	(*llseek)(struct file *file, loff_t offset, int whence);
	ssize_t	(*read)(struct file *file, char __user *buf, size_t count, loff_t *pos);
	ssize_t	(*write)(struct file *file, const char __user *buf, size_t count, loff_t *pos);
	int	(*open)(struct inode *inode, struct file *file);
	int	(*release)(struct inode *inode, struct file *file);
	int	(*fsync)(struct file *file, loff_t start, loff_t end, int datasync);
};

struct inode_operations {
	struct dentry *(*lookup)(struct inode *dir, struct dentry *dentry, unsigned int flags);
	int	(*create)(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl);
	int	(*mkdir)(struct inode *dir, struct dentry *dentry, umode_t mode);
	int	(*mknod)(struct inode *dir, struct dentry *dentry, umode_t mode, unsigned int dev);
	int	(*unlink)(struct inode *dir, struct dentry *dentry);
	int	(*setattr)(struct dentry *dentry, loff_t size);
	int	(*getattr)(const struct dentry *dentry, struct kstat *stat);
};

struct super_operations {
	struct inode *(*alloc_inode)(struct super_block *sb);
	void	(*destroy_inode)(struct inode *inode);
	void	(*evict_inode)(struct inode *inode);
	int	(*write_inode)(struct inode *inode);
};

struct super_block {
	unsigned long	s_magic;
	unsigned long	s_blocksize;
	u8		s_blocksize_bits;
	loff_t		s_maxbytes;
	struct dentry	*s_root;
	const struct super_operations *s_op;
	struct list_head s_inodes;
	struct list_head s_dirty;	/* inodes waiting for writeback */
	unsigned long	s_next_ino;
	unsigned long	s_nr_inodes;
	char		s_id[32];
};

struct inode {
	umode_t		i_mode;
	u16		i_opflags;
	unsigned int	i_nlink;
	int		i_count;
	unsigned int	i_rdev;
	unsigned long	i_ino;
	u32		i_generation;
	loff_t		i_size;
	s64		i_atime;	/* in jiffies */
	s64		i_mtime;
	s64		i_ctime;
	u64		i_version;
	unsigned long	i_state;
	unsigned long	dirtied_when;
	struct super_block *i_sb;
	const struct inode_operations *i_op;
	const struct file_operations *i_fop;
	void		*i_private;	/* the file system's own (procfs: the proc_dir_entry) */
	struct hlist_node i_hash;
	struct list_head i_sb_list;
	struct list_head i_io_list;
	struct address_space i_data;
};

struct dentry {
	unsigned int	d_flags;
	int		d_count;
	struct hlist_node d_hash;
	struct dentry	*d_parent;
	struct qstr	d_name;
	struct inode	*d_inode;	/* NULL: negative dentry */
	unsigned long	d_serial;	/* salts the children's name hashes */
	struct super_block *d_sb;
	struct list_head d_child;
	struct list_head d_subdirs;
	struct rcu_head	d_rcu;
	char		d_iname[DNAME_INLINE_LEN];
};

#define DCACHE_PINNED	0x1	/* an extra reference keeps it alive (ramfs) */

struct file {
	struct dentry	*f_dentry;
	struct inode	*f_inode;
	const struct file_operations *f_op;
	unsigned int	f_flags;
	unsigned int	f_mode;
	int		f_count;
	loff_t		f_pos;
	struct rcu_head	f_rcuhead;
};

struct files_struct {
	int		count;
	unsigned int	next_fd;
	unsigned long	open_fds;
	struct file	*fd_array[NR_OPEN_DEFAULT];
};

struct kstat {
	u64		ino;
	u32		dev;
	umode_t		mode;
	unsigned int	nlink;
	unsigned int	rdev;
	loff_t		size;
	s64		atime;
	s64		mtime;
	s64		ctime;
	u32		blksize;
	u64		blocks;
};

/* The x86-64 user-space struct stat. */
struct stat {
	unsigned long	st_dev;
	unsigned long	st_ino;
	unsigned long	st_nlink;
	unsigned int	st_mode;
	unsigned int	st_uid;
	unsigned int	st_gid;
	unsigned int	__pad0;
	unsigned long	st_rdev;
	long		st_size;
	long		st_blksize;
	long		st_blocks;
	unsigned long	st_atime;
	unsigned long	st_atime_nsec;
	unsigned long	st_mtime;
	unsigned long	st_mtime_nsec;
	unsigned long	st_ctime;
	unsigned long	st_ctime_nsec;
	long		__unused[3];
};

struct filename {
	const char	*name;
	int		refcnt;
	char		iname[];
};

struct nameidata {
	struct dentry	*dentry;
	struct qstr	last;
	int		last_type;
	unsigned int	flags;
	int		depth;
	unsigned int	max_depth;	/* deepest recursion seen */
};

struct open_flags {
	int		open_flag;
	umode_t		mode;
	int		acc_mode;
};

static inline bool d_is_dir(const struct dentry *dentry)
{
	return dentry->d_inode && S_ISDIR(dentry->d_inode->i_mode);
}

static inline bool d_is_negative(const struct dentry *dentry)
{
	return !dentry->d_inode;
}

/* fs/dcache.c */
void __init dcache_init(void);
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
struct dentry *d_make_root(struct inode *root_inode);
void d_instantiate(struct dentry *dentry, struct inode *inode);
void d_add(struct dentry *dentry, struct inode *inode);
struct dentry *d_lookup(const struct dentry *parent, const struct qstr *name);
struct dentry *dget(struct dentry *dentry);
void dput(struct dentry *dentry);
void d_delete(struct dentry *dentry);
int d_path(const struct dentry *dentry, char *buf, int buflen);
typedef int (*d_walk_fn)(struct dentry *dentry, int depth, void *data);
int d_walk(struct dentry *parent, d_walk_fn fn, void *data);
void dcache_stats(unsigned long *nr_dentry, unsigned long *nr_negative);

/* fs/inode.c */
void __init inode_init(void);
struct inode *new_inode(struct super_block *sb);
void insert_inode_hash(struct inode *inode);
struct inode *ilookup(struct super_block *sb, unsigned long ino);
struct inode *igrab(struct inode *inode);
void iput(struct inode *inode);
void inc_nlink(struct inode *inode);
void drop_nlink(struct inode *inode);
void __mark_inode_dirty(struct inode *inode, int flags);
long writeback_inodes_sb(struct super_block *sb);
extern unsigned long nr_inodes_written;
extern unsigned long wb_wakeups;
int __init default_bdi_init(void);

/* fs/namei.c */
void __init names_cache_init(void);
struct filename *getname(const char __user *filename);
struct filename *getname_kernel(const char *filename);
void putname(struct filename *name);
int path_lookup(const char *name, unsigned int flags, struct nameidata *nd);
int kernel_execve(const char *kernel_filename);
int __init proc_interrupts_init(void);
void path_put(struct nameidata *nd);
struct dentry *lookup_one(struct dentry *base, struct qstr *last);
struct file *do_filp_open(int dfd, struct filename *pathname, const struct open_flags *op);
int vfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl);
int vfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode);
int vfs_unlink(struct inode *dir, struct dentry *dentry);
long do_mkdirat(int dfd, struct filename *name, umode_t mode);
long do_unlinkat(int dfd, struct filename *name);
long do_mknodat(int dfd, struct filename *name, umode_t mode, unsigned int dev);
extern unsigned long namei_max_depth;

/* fs/open.c */
long do_sys_open(int dfd, const char __user *filename, int flags, umode_t mode);
struct file *filp_open(const char *filename, int flags, umode_t mode);
int filp_close(struct file *filp);
int vfs_open(struct dentry *dentry, struct file *file);
int do_truncate(struct dentry *dentry, loff_t length);
long do_sys_ftruncate(unsigned int fd, loff_t length);
long do_faccessat(int dfd, const char __user *filename, int mode);
long ksys_chdir(const char __user *filename);
long ksys_getcwd(char __user *buf, unsigned long size);

/* fs/file.c, fs/file_table.c */
void __init files_init(void);
struct file *alloc_empty_file(int flags);
int get_unused_fd_flags(unsigned int flags);
void put_unused_fd(unsigned int fd);
void fd_install(unsigned int fd, struct file *file);
struct file *fget(unsigned int fd);
void fput(struct file *file);
int close_fd(unsigned int fd);
long ksys_dup(unsigned int fildes);
struct files_struct *alloc_files(void);
extern unsigned long nr_files_open;

/* fs/read_write.c */
ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos);
ssize_t vfs_write(struct file *file, const char __user *buf, size_t count, loff_t *pos);
ssize_t kernel_read(struct file *file, void *buf, size_t count, loff_t *pos);
ssize_t kernel_write(struct file *file, const void *buf, size_t count, loff_t *pos);
ssize_t ksys_read(unsigned int fd, char __user *buf, size_t count);
ssize_t ksys_write(unsigned int fd, const char __user *buf, size_t count);
ssize_t ksys_pread64(unsigned int fd, char __user *buf, size_t count, loff_t pos);
ssize_t ksys_pwrite64(unsigned int fd, const char __user *buf, size_t count, loff_t pos);
loff_t vfs_llseek(struct file *file, loff_t offset, int whence);
long ksys_lseek(unsigned int fd, loff_t offset, unsigned int whence);
loff_t generic_file_llseek(struct file *file, loff_t offset, int whence);
long ksys_fsync(unsigned int fd);

/* fs/stat.c */
void generic_fillattr(const struct inode *inode, struct kstat *stat);
int vfs_getattr(const struct dentry *dentry, struct kstat *stat);
int vfs_stat(const char __user *filename, struct kstat *stat);
int vfs_fstat(unsigned int fd, struct kstat *stat);
int cp_new_stat(const struct kstat *stat, struct stat __user *statbuf);

/* fs/ramfs/ */
extern struct super_block *ramfs_sb;
void __init init_rootfs(void);
struct inode *ramfs_get_inode(struct super_block *sb, const struct inode *dir,
			      umode_t mode, unsigned int dev);
void truncate_inode_pages(struct address_space *mapping, loff_t lstart);
extern unsigned long ramfs_pages_written_back;

/* drivers/char/mem.c */
void init_special_inode(struct inode *inode, umode_t mode, unsigned int rdev);

/* init/initramfs.c */
int __init populate_rootfs(void);

/* kernel/rcu/ */
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
void __init rcu_init(void);
int __init rcu_spawn_gp_kthread(void);
extern unsigned long rcu_gp_completed;
extern unsigned long rcu_callbacks_invoked;
void rcu_barrier(void);

/* arch/x86/lib/usercopy_64.c */
bool access_ok(const void __user *addr, unsigned long size);
unsigned long copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long copy_from_user(void *to, const void __user *from, unsigned long n);
unsigned long clear_user(void __user *to, unsigned long n);
long strncpy_from_user(char *dst, const char __user *src, long count);

#endif /* _FS_H */
