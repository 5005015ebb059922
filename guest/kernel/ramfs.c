/* ramfs.c: fs/ramfs/inode.c + fs/libfs.c + mm/filemap.c-alike: an in-memory fs over a page cache */
#include "fs.h"
#include "sched.h"

#define RAMFS_MAGIC		0x858458f6
#define RAMFS_MAX_FILE_PAGES	8
#define RAMFS_DEFAULT_MODE	0755

struct super_block *ramfs_sb;
static struct super_block ramfs_super;
unsigned long ramfs_pages_written_back;

static const struct inode_operations ramfs_dir_inode_operations;
static const struct inode_operations ramfs_file_inode_operations;
static const struct file_operations ramfs_file_operations;
static const struct file_operations simple_dir_operations;

/* ---------------------------------------------------------- page cache */

static int page_index_cmp(const void *key, const struct rb_node *node)
{
	unsigned long index = *(const unsigned long *)key;
	const struct cache_page *page = rb_entry(node, struct cache_page, rb);

	if (index < page->index)
		return -1;
	return index > page->index;
}

static int page_node_cmp(const struct rb_node *a, const struct rb_node *b)
{
	const struct cache_page *pa = rb_entry(a, struct cache_page, rb);
	const struct cache_page *pb = rb_entry(b, struct cache_page, rb);

	if (pa->index < pb->index)
		return -1;
	return pa->index > pb->index;
}

static struct cache_page *find_get_page(struct address_space *mapping, unsigned long index)
{
	struct rb_node *node = rb_find(&index, &mapping->i_pages, page_index_cmp);

	return node ? rb_entry(node, struct cache_page, rb) : NULL;
}

static struct cache_page *grab_cache_page_write_begin(struct address_space *mapping,
						      unsigned long index)
{
	struct cache_page *page = find_get_page(mapping, index);

	if (page)
		return page;
	page = kmalloc(sizeof(*page), GFP_KERNEL);
	if (!page)
		return NULL;
	page->data = __get_free_page(GFP_KERNEL | __GFP_ZERO);
	if (!page->data) {
		kfree(page);
		return NULL;
	}
	page->index = index;
	rb_add(&page->rb, &mapping->i_pages, page_node_cmp);
	mapping->nrpages++;
	return page;
}

struct truncate_control {
	unsigned long	start;		/* first page index to drop */
	struct cache_page *keep;	/* survivors, chained through rb_left */
	unsigned long	freed;
};

static void truncate_visit(struct rb_node *node, void *arg)
{
	struct truncate_control *tc = arg;
	struct cache_page *page = rb_entry(node, struct cache_page, rb);

	if (page->index >= tc->start) {
		free_page(page->data);
		kfree(page);
		tc->freed++;
		return;
	}
	page->rb.rb_left = tc->keep ? &tc->keep->rb : NULL;
	tc->keep = page;
}

/* Drop every page from byte lstart on, and zero the tail of the partial page. */
void truncate_inode_pages(struct address_space *mapping, loff_t lstart)
{
	struct truncate_control tc = {
		.start = (unsigned long)((lstart + PAGE_SIZE - 1) >> PAGE_SHIFT),
	};
	unsigned int partial = lstart & ~PAGE_MASK;
	struct cache_page *page, *next;

	if (partial) {
		page = find_get_page(mapping, lstart >> PAGE_SHIFT);
		if (page)
			memset(page->data + partial, 0, PAGE_SIZE - partial);
	}
	if (!mapping->nrpages)
		return;

	/* Tear the tree down children-first, then re-add the survivors. */
	rb_postorder_destroy(&mapping->i_pages, truncate_visit, &tc);
	mapping->nrpages -= tc.freed;
	for (page = tc.keep; page; page = next) {
		next = page->rb.rb_left ? rb_entry(page->rb.rb_left, struct cache_page, rb) : NULL;
		rb_add(&page->rb, &mapping->i_pages, page_node_cmp);
	}
}

/* ---------------------------------------------------------------- files */

static ssize_t ramfs_file_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = &inode->i_data;
	loff_t pos = *ppos;
	loff_t isize = inode->i_size;
	ssize_t copied = 0;

	if (pos >= isize)
		return 0;
	if ((loff_t)count > isize - pos)
		count = isize - pos;

	while (count) {
		unsigned long index = pos >> PAGE_SHIFT;
		unsigned long offset = pos & ~PAGE_MASK;
		size_t bytes = min_t(size_t, PAGE_SIZE - offset, count);
		struct cache_page *page = find_get_page(mapping, index);
		unsigned long left;

		if (page)
			left = copy_to_user(buf + copied, page->data + offset, bytes);
		else
			left = clear_user(buf + copied, bytes);	/* a hole */
		if (left) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		copied += bytes;
		pos += bytes;
		count -= bytes;
	}
	if (copied > 0)
		*ppos = pos;
	return copied;
}

static ssize_t ramfs_file_write(struct file *file, const char __user *buf, size_t count,
				loff_t *ppos)
{
	struct inode *inode = file->f_inode;
	struct address_space *mapping = &inode->i_data;
	loff_t limit = inode->i_sb->s_maxbytes;
	loff_t pos = *ppos;
	ssize_t written = 0;

	if (file->f_flags & O_APPEND)
		pos = inode->i_size;
	if (pos >= limit)
		return count ? -EFBIG : 0;
	if ((loff_t)count > limit - pos)
		count = limit - pos;

	while (count) {
		unsigned long index = pos >> PAGE_SHIFT;
		unsigned long offset = pos & ~PAGE_MASK;
		size_t bytes = min_t(size_t, PAGE_SIZE - offset, count);
		struct cache_page *page = grab_cache_page_write_begin(mapping, index);

		if (!page) {
			if (!written)
				written = -ENOMEM;
			break;
		}
		if (copy_from_user(page->data + offset, buf + written, bytes)) {
			if (!written)
				written = -EFAULT;
			break;
		}
		written += bytes;
		pos += bytes;
		count -= bytes;
		if (pos > inode->i_size)
			inode->i_size = pos;
	}
	if (written > 0) {
		*ppos = pos;
		inode->i_mtime = inode->i_ctime = jiffies;
		inode->i_version++;
		__mark_inode_dirty(inode, I_DIRTY_PAGES);
	}
	return written;
}

static int ramfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	(void)start;
	(void)end;
	(void)datasync;
	/* Nothing to write anywhere; just clean the inode. */
	if (!list_empty(&file->f_inode->i_io_list)) {
		list_del_init(&file->f_inode->i_io_list);
		file->f_inode->i_state &= ~I_DIRTY;
	}
	return 0;
}

static int ramfs_setattr(struct dentry *dentry, loff_t size)
{
	struct inode *inode = dentry->d_inode;

	if (size > inode->i_sb->s_maxbytes)
		return -EFBIG;
	if (size != inode->i_size) {
		loff_t old = inode->i_size;

		inode->i_size = size;
		if (size < old)
			truncate_inode_pages(&inode->i_data, size);
		inode->i_mtime = inode->i_ctime = jiffies;
		__mark_inode_dirty(inode, I_DIRTY_SYNC);
	}
	return 0;
}

static const struct file_operations ramfs_file_operations = {
	.llseek	= generic_file_llseek,
	.read	= ramfs_file_read,
	.write	= ramfs_file_write,
	.fsync	= ramfs_fsync,
};

static const struct inode_operations ramfs_file_inode_operations = {
	.setattr = ramfs_setattr,
};

/* ---------------------------------------------------------- directories */

static ssize_t generic_read_dir(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	(void)file;
	(void)buf;
	(void)count;
	(void)ppos;
	return -EISDIR;
}

static const struct file_operations simple_dir_operations = {
	.llseek	= generic_file_llseek,
	.read	= generic_read_dir,
};

static struct dentry *simple_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	(void)dir;
	(void)flags;
	if (dentry->d_name.len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	/* Everything that exists is in the dcache: this name is negative. */
	d_add(dentry, NULL);
	return NULL;
}

static int ramfs_mknod(struct inode *dir, struct dentry *dentry, umode_t mode, unsigned int dev)
{
	struct inode *inode = ramfs_get_inode(dir->i_sb, dir, mode, dev);

	if (!inode)
		return -ENOSPC;
	d_instantiate(dentry, inode);
	dget(dentry);		/* ramfs pins its dentries */
	dentry->d_flags |= DCACHE_PINNED;
	dir->i_mtime = dir->i_ctime = jiffies;
	return 0;
}

static int ramfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl)
{
	(void)excl;
	return ramfs_mknod(dir, dentry, mode | S_IFREG, 0);
}

static int ramfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	int err = ramfs_mknod(dir, dentry, mode | S_IFDIR, 0);

	if (!err)
		inc_nlink(dir);
	return err;
}

static int simple_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = dentry->d_inode;

	inode->i_ctime = dir->i_ctime = dir->i_mtime = jiffies;
	drop_nlink(inode);
	dentry->d_flags &= ~DCACHE_PINNED;
	dput(dentry);		/* undo the pin from ramfs_mknod */
	return 0;
}

static const struct inode_operations ramfs_dir_inode_operations = {
	.lookup	= simple_lookup,
	.create	= ramfs_create,
	.mkdir	= ramfs_mkdir,
	.mknod	= ramfs_mknod,
	.unlink	= simple_unlink,
};

/* ----------------------------------------------------------- the super */

struct inode *ramfs_get_inode(struct super_block *sb, const struct inode *dir,
			      umode_t mode, unsigned int dev)
{
	struct inode *inode = new_inode(sb);

	(void)dir;
	if (!inode)
		return NULL;
	inode->i_mode = mode;
	inode->i_atime = inode->i_mtime = inode->i_ctime = jiffies;
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ramfs_file_inode_operations;
		inode->i_fop = &ramfs_file_operations;
		break;
	case S_IFDIR:
		inode->i_op = &ramfs_dir_inode_operations;
		inode->i_fop = &simple_dir_operations;
		/* directory inodes start off with i_nlink == 2 (for "." entry) */
		inc_nlink(inode);
		break;
	default:
		init_special_inode(inode, mode, dev);
		break;
	}
	insert_inode_hash(inode);
	return inode;
}

static void ramfs_evict_inode(struct inode *inode)
{
	truncate_inode_pages(&inode->i_data, 0);
}

static void count_page(struct rb_node *node, void *arg)
{
	(void)node;
	(*(unsigned long *)arg)++;
}

/* "Write back" an inode: ramfs has no backing store, so count its pages. */
static int ramfs_write_inode(struct inode *inode)
{
	unsigned long pages = 0;

	rb_inorder(&inode->i_data.i_pages, count_page, &pages);
	if (pages != inode->i_data.nrpages)
		panic("ramfs: inode %lu: %lu pages in tree, nrpages %lu",
		      inode->i_ino, pages, inode->i_data.nrpages);
	ramfs_pages_written_back += pages;
	return 0;
}

static const struct super_operations ramfs_ops = {
	.evict_inode	= ramfs_evict_inode,
	.write_inode	= ramfs_write_inode,
};

static int ramfs_fill_super(struct super_block *sb)
{
	struct inode *inode;

	sb->s_magic = RAMFS_MAGIC;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_maxbytes = RAMFS_MAX_FILE_PAGES * PAGE_SIZE;
	sb->s_op = &ramfs_ops;
	INIT_LIST_HEAD(&sb->s_inodes);
	INIT_LIST_HEAD(&sb->s_dirty);
	strscpy(sb->s_id, "rootfs", sizeof(sb->s_id));

	inode = ramfs_get_inode(sb, NULL, S_IFDIR | RAMFS_DEFAULT_MODE, 0);
	sb->s_root = d_make_root(inode);
	if (!sb->s_root)
		return -ENOMEM;
	return 0;
}

void __init init_rootfs(void)
{
	int err = ramfs_fill_super(&ramfs_super);

	if (err)
		panic("VFS: Unable to mount root fs (%d)", err);
	ramfs_sb = &ramfs_super;
	pr_info("VFS: Mounted root (ramfs filesystem) on device 0:1.\n");
}
