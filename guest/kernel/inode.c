/* inode.c: fs/inode.c + fs/fs-writeback.c-alike: inode allocation, hash, lifetime, dirty lists */
#include "fs.h"
#include "sched.h"

#define I_HASH_BITS	6
#define I_HASH_SIZE	(1U << I_HASH_BITS)

static struct hlist_head inode_hashtable[I_HASH_SIZE];
static const struct inode_operations empty_iops;
static struct kmem_cache *inode_cachep;
static unsigned long nr_inodes;
unsigned long nr_inodes_written;

static inline struct hlist_head *inode_hash(const struct super_block *sb, unsigned long ino)
{
	return inode_hashtable + hash_64(ino ^ sb->s_magic, I_HASH_BITS);
}

void __init inode_init(void)
{
	unsigned int i;

	for (i = 0; i < I_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&inode_hashtable[i]);
	inode_cachep = kmem_cache_create("inode_cache", sizeof(struct inode), 0,
					 SLAB_PANIC | SLAB_ACCOUNT, NULL);
	pr_info("Inode-cache hash table entries: %u (order: 0, %lu bytes, linear)\n",
		I_HASH_SIZE, (unsigned long)sizeof(inode_hashtable));
}

static struct inode *alloc_inode(struct super_block *sb)
{
	struct inode *inode;

	if (sb->s_op && sb->s_op->alloc_inode)
		inode = sb->s_op->alloc_inode(sb);
	else
		inode = kmem_cache_zalloc(inode_cachep, GFP_KERNEL);
	if (!inode)
		return NULL;

	inode->i_sb = sb;
	inode->i_op = &empty_iops;
	inode->i_private = NULL;
	inode->i_count = 1;
	inode->i_nlink = 1;
	inode->i_generation = (u32)hash_32((u32)nr_inodes + 1, 32);
	inode->i_data.i_pages = RB_ROOT;
	inode->i_data.nrpages = 0;
	INIT_HLIST_NODE(&inode->i_hash);
	INIT_LIST_HEAD(&inode->i_io_list);
	return inode;
}

struct inode *new_inode(struct super_block *sb)
{
	struct inode *inode = alloc_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = ++sb->s_next_ino;
	list_add_tail(&inode->i_sb_list, &sb->s_inodes);
	sb->s_nr_inodes++;
	nr_inodes++;
	return inode;
}

void insert_inode_hash(struct inode *inode)
{
	hlist_add_head(&inode->i_hash, inode_hash(inode->i_sb, inode->i_ino));
}

struct inode *ilookup(struct super_block *sb, unsigned long ino)
{
	struct inode *inode;

	hlist_for_each_entry(inode, inode_hash(sb, ino), i_hash) {
		if (inode->i_ino == ino && inode->i_sb == sb &&
		    !(inode->i_state & I_FREEING))
			return igrab(inode);
	}
	return NULL;
}

struct inode *igrab(struct inode *inode)
{
	if (inode->i_state & I_FREEING)
		return NULL;
	inode->i_count++;
	return inode;
}

void inc_nlink(struct inode *inode)
{
	inode->i_nlink++;
}

void drop_nlink(struct inode *inode)
{
	if (!inode->i_nlink)
		panic("drop_nlink: inode %lu already has no links", inode->i_ino);
	inode->i_nlink--;
}

static void destroy_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	if (sb->s_op && sb->s_op->destroy_inode)
		sb->s_op->destroy_inode(inode);
	else
		kmem_cache_free(inode_cachep, inode);
}

static void evict(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	inode->i_state |= I_FREEING;
	if (!list_empty(&inode->i_io_list))
		list_del_init(&inode->i_io_list);
	if (sb->s_op && sb->s_op->evict_inode)
		sb->s_op->evict_inode(inode);
	else
		truncate_inode_pages(&inode->i_data, 0);
	hlist_del_init(&inode->i_hash);
	list_del(&inode->i_sb_list);
	sb->s_nr_inodes--;
	nr_inodes--;
	destroy_inode(inode);
}

/* Drop a reference; an unlinked inode dies with its last one. */
void iput(struct inode *inode)
{
	if (!inode)
		return;
	if (inode->i_count <= 0)
		panic("iput: inode %lu has i_count %d", inode->i_ino, inode->i_count);
	if (--inode->i_count)
		return;
	if (!inode->i_nlink)
		evict(inode);
}

void __mark_inode_dirty(struct inode *inode, int flags)
{
	struct super_block *sb = inode->i_sb;

	if ((inode->i_state & flags) == (unsigned long)flags)
		return;
	if (!(inode->i_state & I_DIRTY)) {
		inode->dirtied_when = jiffies;
		list_add_tail(&inode->i_io_list, &sb->s_dirty);
	}
	inode->i_state |= flags;
}

/* fs-writeback.c: write back every dirty inode of sb, oldest first. */
long writeback_inodes_sb(struct super_block *sb)
{
	struct inode *inode, *next;
	long written = 0;

	list_for_each_entry_safe(inode, next, &sb->s_dirty, i_io_list) {
		int err = 0;

		list_del_init(&inode->i_io_list);
		inode->i_state &= ~I_DIRTY;
		if (sb->s_op && sb->s_op->write_inode)
			err = sb->s_op->write_inode(inode);
		if (err)
			__mark_inode_dirty(inode, I_DIRTY_PAGES);
		else
			written++;
	}
	nr_inodes_written += written;
	return written;
}

/* mm/backing-dev.c + page-writeback.c: a flusher kthread kicked by a timer. */
#define DIRTY_WRITEBACK_INTERVAL	8	/* jiffies */

static struct task_struct *wb_task;
static struct timer_list wb_timer;
unsigned long wb_wakeups;

static int wb_workfn(void *data)
{
	(void)data;
	writeback_inodes_sb(ramfs_sb);
	set_current_state(TASK_INTERRUPTIBLE);
	schedule();
	return 0;
}

static void wb_timer_fn(struct timer_list *t)
{
	if (!list_empty(&ramfs_sb->s_dirty) && wake_up_process(wb_task))
		wb_wakeups++;
	mod_timer(t, jiffies + DIRTY_WRITEBACK_INTERVAL);
}

int __init default_bdi_init(void)
{
	wb_task = kthread_create(wb_workfn, NULL, "kworker/0:1");
	if (IS_ERR(wb_task))
		return PTR_ERR(wb_task);
	timer_setup(&wb_timer, wb_timer_fn, "wb_timer");
	mod_timer(&wb_timer, jiffies + DIRTY_WRITEBACK_INTERVAL);
	return 0;
}
