/* namei.c: fs/namei.c-alike: getname, recursive path walk, lookup, create/mkdir/unlink, open */
#include "fs.h"
#include "sched.h"

#define EMBEDDED_NAME_MAX	(PATH_MAX - offsetof(struct filename, iname))

static struct kmem_cache *names_cachep;
unsigned long namei_max_depth;

void __init names_cache_init(void)
{
	names_cachep = kmem_cache_create("names_cache", PATH_MAX, 0,
					 SLAB_HWCACHE_ALIGN | SLAB_PANIC, NULL);
}

struct filename *getname(const char __user *filename)
{
	struct filename *result;
	char *kname;
	long len;

	result = kmem_cache_alloc(names_cachep, GFP_KERNEL);
	if (!result)
		return ERR_PTR(-ENOMEM);

	kname = result->iname;
	result->name = kname;
	len = strncpy_from_user(kname, filename, EMBEDDED_NAME_MAX);
	if (unlikely(len < 0)) {
		kmem_cache_free(names_cachep, result);
		return ERR_PTR(len);
	}
	if (unlikely(!len)) {
		kmem_cache_free(names_cachep, result);
		return ERR_PTR(-ENOENT);
	}
	if (unlikely(len == (long)EMBEDDED_NAME_MAX)) {
		kmem_cache_free(names_cachep, result);
		return ERR_PTR(-ENAMETOOLONG);
	}
	result->refcnt = 1;
	return result;
}

struct filename *getname_kernel(const char *filename)
{
	return getname(filename);
}

void putname(struct filename *name)
{
	if (IS_ERR_OR_NULL(name))
		return;
	if (--name->refcnt > 0)
		return;
	kmem_cache_free(names_cachep, name);
}

/* Hash one path component; its length goes to *lenp. */
static u32 hash_name(unsigned long salt, const char *name, u32 *lenp)
{
	u32 len = 0;

	while (name[len] && name[len] != '/')
		len++;
	*lenp = len;
	return full_name_hash((const void *)salt, name, len);
}

void path_put(struct nameidata *nd)
{
	dput(nd->dentry);
	nd->dentry = NULL;
}

static struct dentry *lookup_slow(struct dentry *dir, struct qstr *name)
{
	struct inode *inode = dir->d_inode;
	struct dentry *dentry, *old;

	dentry = d_alloc(dir, name);
	if (!dentry)
		return ERR_PTR(-ENOMEM);
	old = inode->i_op->lookup(inode, dentry, 0);
	if (unlikely(old)) {
		dput(dentry);
		dentry = old;
	}
	return dentry;
}

/* Find (or create, negative) the dentry for `last` in base. */
struct dentry *lookup_one(struct dentry *base, struct qstr *last)
{
	struct dentry *dentry;

	if (!base->d_inode || !S_ISDIR(base->d_inode->i_mode))
		return ERR_PTR(-ENOTDIR);
	if (last->len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	dentry = d_lookup(base, last);
	if (!dentry)
		dentry = lookup_slow(base, last);
	return dentry;
}

/* Step nd->dentry to the component in nd->last. */
static int walk_component(struct nameidata *nd)
{
	struct dentry *dentry;

	switch (nd->last_type) {
	case LAST_DOT:
		return 0;
	case LAST_DOTDOT:
		dentry = dget(nd->dentry->d_parent);
		break;
	default:
		dentry = lookup_one(nd->dentry, &nd->last);
		if (IS_ERR(dentry))
			return PTR_ERR(dentry);
		if (d_is_negative(dentry)) {
			dput(dentry);
			return -ENOENT;
		}
		break;
	}
	dput(nd->dentry);
	nd->dentry = dentry;
	return 0;
}

/*
 * Resolve every component but the last, one level of recursion per
 * directory.  The last component is left in nd->last for the caller.
 */
static int link_path_walk(const char *name, struct nameidata *nd)
{
	u32 len;
	int err;

	while (*name == '/')
		name++;
	if (!*name)
		return 0;

	if (++nd->depth > MAX_NESTED_PATH)
		return -ELOOP;
	if ((unsigned int)nd->depth > nd->max_depth)
		nd->max_depth = nd->depth;

	nd->last.hash = hash_name(nd->dentry->d_serial, name, &len);
	nd->last.len = len;
	nd->last.name = name;
	nd->last_type = LAST_NORM;
	if (name[0] == '.') {
		if (len == 1)
			nd->last_type = LAST_DOT;
		else if (len == 2 && name[1] == '.')
			nd->last_type = LAST_DOTDOT;
	}

	name += len;
	while (*name == '/')
		name++;
	if (!*name) {
		/* The final component: the caller decides what to do with it. */
		nd->depth--;
		return 0;
	}

	err = walk_component(nd);
	if (!err && !d_is_dir(nd->dentry))
		err = -ENOTDIR;
	if (!err)
		err = link_path_walk(name, nd);
	nd->depth--;
	return err;
}

static struct dentry *path_start(const char *name)
{
	if (*name == '/' || !current->pwd)
		return dget(ramfs_sb->s_root);
	return dget(current->pwd);
}

/*
 * Walk `name`.  With LOOKUP_PARENT, nd->dentry ends at the parent and
 * nd->last names the final component; otherwise at the final dentry.
 */
int path_lookup(const char *name, unsigned int flags, struct nameidata *nd)
{
	int err;

	nd->dentry = path_start(name);
	nd->flags = flags;
	nd->depth = 0;
	nd->max_depth = 0;
	nd->last.len = 0;
	nd->last.name = name;
	nd->last_type = LAST_ROOT;

	err = link_path_walk(name, nd);
	if (nd->max_depth > namei_max_depth)
		namei_max_depth = nd->max_depth;
	if (!err && !(flags & LOOKUP_PARENT) && nd->last_type != LAST_ROOT)
		err = walk_component(nd);
	if (!err && (flags & LOOKUP_DIRECTORY) && !d_is_dir(nd->dentry))
		err = -ENOTDIR;
	if (err)
		path_put(nd);
	return err;
}

int vfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl)
{
	if (!dir->i_op->create)
		return -EPERM;
	mode &= S_IRWXUGO;
	mode |= S_IFREG;
	return dir->i_op->create(dir, dentry, mode, excl);
}

int vfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	if (!dir->i_op->mkdir)
		return -EPERM;
	return dir->i_op->mkdir(dir, dentry, (mode & S_IRWXUGO) | S_IFDIR);
}

int vfs_unlink(struct inode *dir, struct dentry *dentry)
{
	int err;

	if (!dir->i_op->unlink)
		return -EPERM;
	err = dir->i_op->unlink(dir, dentry);
	if (!err)
		d_delete(dentry);
	return err;
}

/* Look up the parent of `name` and the dentry of its last component. */
static struct dentry *lookup_create_parent(struct filename *name, struct nameidata *nd)
{
	struct dentry *dentry;
	int err = path_lookup(name->name, LOOKUP_PARENT, nd);

	if (err)
		return ERR_PTR(err);
	if (nd->last_type != LAST_NORM) {
		path_put(nd);
		return ERR_PTR(nd->last_type == LAST_ROOT ? -EISDIR : -EEXIST);
	}
	dentry = lookup_one(nd->dentry, &nd->last);
	if (IS_ERR(dentry))
		path_put(nd);
	return dentry;
}

long do_mkdirat(int dfd, struct filename *name, umode_t mode)
{
	struct nameidata nd;
	struct dentry *dentry;
	long err;

	(void)dfd;
	if (IS_ERR(name))
		return PTR_ERR(name);
	dentry = lookup_create_parent(name, &nd);
	if (IS_ERR(dentry)) {
		err = PTR_ERR(dentry);
		goto out;
	}
	if (!d_is_negative(dentry))
		err = -EEXIST;
	else
		err = vfs_mkdir(nd.dentry->d_inode, dentry, mode);
	dput(dentry);
	path_put(&nd);
out:
	putname(name);
	return err;
}

long do_mknodat(int dfd, struct filename *name, umode_t mode, unsigned int dev)
{
	struct nameidata nd;
	struct dentry *dentry;
	struct inode *dir;
	long err;

	(void)dfd;
	if (IS_ERR(name))
		return PTR_ERR(name);
	dentry = lookup_create_parent(name, &nd);
	if (IS_ERR(dentry)) {
		err = PTR_ERR(dentry);
		goto out;
	}
	dir = nd.dentry->d_inode;
	if (!d_is_negative(dentry))
		err = -EEXIST;
	else if (!dir->i_op->mknod)
		err = -EPERM;
	else
		err = dir->i_op->mknod(dir, dentry, mode, dev);
	dput(dentry);
	path_put(&nd);
out:
	putname(name);
	return err;
}

long do_unlinkat(int dfd, struct filename *name)
{
	struct nameidata nd;
	struct dentry *dentry;
	long err;

	(void)dfd;
	if (IS_ERR(name))
		return PTR_ERR(name);
	dentry = lookup_create_parent(name, &nd);
	if (IS_ERR(dentry)) {
		err = PTR_ERR(dentry);
		goto out;
	}
	if (d_is_negative(dentry))
		err = -ENOENT;
	else if (d_is_dir(dentry))
		err = -EISDIR;
	else
		err = vfs_unlink(nd.dentry->d_inode, dentry);
	dput(dentry);
	path_put(&nd);
out:
	putname(name);
	return err;
}

/* Resolve the last component of an open: create it, check it, open it. */
static struct file *open_last_lookups(struct nameidata *nd, const struct open_flags *op)
{
	int open_flag = op->open_flag;
	struct dentry *dentry;
	struct file *file;
	int err;

	if (nd->last_type == LAST_NORM) {
		dentry = lookup_one(nd->dentry, &nd->last);
		if (IS_ERR(dentry))
			return ERR_PTR(PTR_ERR(dentry));
	} else if (nd->last_type == LAST_DOTDOT) {
		dentry = dget(nd->dentry->d_parent);
	} else {
		dentry = dget(nd->dentry);
	}

	if (d_is_negative(dentry)) {
		if (!(open_flag & O_CREAT)) {
			err = -ENOENT;
			goto out_dput;
		}
		err = vfs_create(nd->dentry->d_inode, dentry, op->mode, open_flag & O_EXCL);
		if (err)
			goto out_dput;
	} else if ((open_flag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		err = -EEXIST;
		goto out_dput;
	}

	if (d_is_dir(dentry) && (op->acc_mode & FMODE_WRITE)) {
		err = -EISDIR;
		goto out_dput;
	}
	if ((open_flag & O_DIRECTORY) && !d_is_dir(dentry)) {
		err = -ENOTDIR;
		goto out_dput;
	}

	file = alloc_empty_file(open_flag);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out_dput;
	}
	err = vfs_open(dentry, file);
	dput(dentry);
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	if ((open_flag & O_TRUNC) && S_ISREG(file->f_inode->i_mode) &&
	    (file->f_mode & FMODE_WRITE)) {
		err = do_truncate(file->f_dentry, 0);
		if (err) {
			fput(file);
			return ERR_PTR(err);
		}
	}
	return file;

out_dput:
	dput(dentry);
	return ERR_PTR(err);
}

struct file *do_filp_open(int dfd, struct filename *pathname, const struct open_flags *op)
{
	struct nameidata nd;
	struct file *file;
	int err;

	(void)dfd;
	err = path_lookup(pathname->name, LOOKUP_PARENT, &nd);
	if (err)
		return ERR_PTR(err);
	file = open_last_lookups(&nd, op);
	path_put(&nd);
	return file;
}
