/* dcache.c: fs/dcache.c-alike: the dentry cache, its hash table, d_path and tree walks */
#include "fs.h"

#define D_HASH_BITS	8
#define D_HASH_SIZE	(1U << D_HASH_BITS)

static struct hlist_head dentry_hashtable[D_HASH_SIZE];
static struct kmem_cache *dentry_cache;
static unsigned long dentry_serial;
static unsigned long nr_dentry;
static unsigned long nr_dentry_negative;

static inline struct hlist_head *d_hash(u32 hash)
{
	return dentry_hashtable + hash_32(hash, D_HASH_BITS);
}

void __init dcache_init(void)
{
	unsigned int i;

	for (i = 0; i < D_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&dentry_hashtable[i]);
	dentry_cache = kmem_cache_create("dentry", sizeof(struct dentry), 8,
					 SLAB_PANIC | SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	pr_info("Dentry cache hash table entries: %u (order: 0, %lu bytes, linear)\n",
		D_HASH_SIZE, (unsigned long)sizeof(dentry_hashtable));
}

struct dentry *d_alloc(struct dentry *parent, const struct qstr *name)
{
	struct dentry *dentry = kmem_cache_alloc(dentry_cache, GFP_KERNEL);
	char *dname;

	if (!dentry)
		return NULL;

	if (name->len < DNAME_INLINE_LEN) {
		dname = dentry->d_iname;
	} else {
		dname = kmalloc(name->len + 1, GFP_KERNEL);
		if (!dname) {
			kmem_cache_free(dentry_cache, dentry);
			return NULL;
		}
	}
	memcpy(dname, name->name, name->len);
	dname[name->len] = '\0';

	dentry->d_name.name = dname;
	dentry->d_name.len = name->len;
	dentry->d_name.hash = name->hash;
	dentry->d_flags = 0;
	dentry->d_count = 1;
	dentry->d_inode = NULL;
	dentry->d_serial = ++dentry_serial;
	INIT_HLIST_NODE(&dentry->d_hash);
	INIT_LIST_HEAD(&dentry->d_subdirs);
	if (parent) {
		dentry->d_parent = dget(parent);
		dentry->d_sb = parent->d_sb;
		list_add_tail(&dentry->d_child, &parent->d_subdirs);
	} else {
		dentry->d_parent = dentry;
		dentry->d_sb = NULL;
		INIT_LIST_HEAD(&dentry->d_child);
	}
	nr_dentry++;
	nr_dentry_negative++;
	return dentry;
}

struct dentry *d_make_root(struct inode *root_inode)
{
	static const struct qstr root_name = { .hash = 0, .len = 1, .name = "/" };
	struct dentry *res = d_alloc(NULL, &root_name);

	if (!res) {
		iput(root_inode);
		return NULL;
	}
	res->d_sb = root_inode->i_sb;
	d_instantiate(res, root_inode);
	return res;
}

void d_instantiate(struct dentry *dentry, struct inode *inode)
{
	if (inode && !dentry->d_inode)
		nr_dentry_negative--;
	dentry->d_inode = inode;
}

static void __d_rehash(struct dentry *dentry)
{
	hlist_add_head(&dentry->d_hash, d_hash(dentry->d_name.hash));
}

void d_add(struct dentry *dentry, struct inode *inode)
{
	d_instantiate(dentry, inode);
	__d_rehash(dentry);
}

static void __d_drop(struct dentry *dentry)
{
	hlist_del_init(&dentry->d_hash);
}

struct dentry *d_lookup(const struct dentry *parent, const struct qstr *name)
{
	struct dentry *dentry;

	hlist_for_each_entry(dentry, d_hash(name->hash), d_hash) {
		if (dentry->d_name.hash != name->hash)
			continue;
		if (dentry->d_parent != parent)
			continue;
		if (dentry->d_name.len != name->len)
			continue;
		if (memcmp(dentry->d_name.name, name->name, name->len))
			continue;
		return dget(dentry);
	}
	return NULL;
}

struct dentry *dget(struct dentry *dentry)
{
	if (dentry)
		dentry->d_count++;
	return dentry;
}

static void d_free_rcu(struct rcu_head *head)
{
	struct dentry *dentry = container_of(head, struct dentry, d_rcu);

	if (dentry->d_name.name != dentry->d_iname)
		kfree(dentry->d_name.name);
	kmem_cache_free(dentry_cache, dentry);
}

/* Unlink a dead dentry from the tree; returns the parent to drop next. */
static struct dentry *__dentry_kill(struct dentry *dentry)
{
	struct dentry *parent = NULL;
	struct inode *inode = dentry->d_inode;

	__d_drop(dentry);
	if (dentry->d_parent != dentry) {
		parent = dentry->d_parent;
		list_del(&dentry->d_child);
	}
	if (inode) {
		dentry->d_inode = NULL;
		iput(inode);
	} else {
		nr_dentry_negative--;
	}
	nr_dentry--;
	call_rcu(&dentry->d_rcu, d_free_rcu);
	return parent;
}

/*
 * Drop a reference.  Unused dentries stay cached while hashed (negative
 * ones too); an unhashed one dies, and so may its parent in turn.
 */
void dput(struct dentry *dentry)
{
	if (!dentry)
		return;
	if (--dentry->d_count > 0)
		return;
	if (dentry->d_count < 0)
		panic("dput: negative d_count on '%s'", dentry->d_name.name);
	if (!hlist_unhashed(&dentry->d_hash))
		return;
	/* The parent's reference goes with us: recurse up the tree. */
	dput(__dentry_kill(dentry));
}

/* The name goes away: make the dentry negative or unhash it. */
void d_delete(struct dentry *dentry)
{
	struct inode *inode = dentry->d_inode;

	if (dentry->d_count == 1) {
		/* Only the caller holds it: turn it into a negative dentry. */
		dentry->d_inode = NULL;
		nr_dentry_negative++;
		iput(inode);
		return;
	}
	__d_drop(dentry);
}

static int prepend_path(const struct dentry *dentry, char *buf, int buflen, int pos)
{
	int len;

	if (dentry->d_parent == dentry)
		return pos;
	pos = prepend_path(dentry->d_parent, buf, buflen, pos);
	if (pos < 0)
		return pos;
	len = dentry->d_name.len;
	if (pos + 1 + len >= buflen)
		return -ENAMETOOLONG;
	buf[pos++] = '/';
	memcpy(buf + pos, dentry->d_name.name, len);
	return pos + len;
}

/* Write the absolute path of dentry to buf; returns its length or -ENAMETOOLONG. */
int d_path(const struct dentry *dentry, char *buf, int buflen)
{
	int len;

	if (buflen < 2)
		return -ENAMETOOLONG;
	len = prepend_path(dentry, buf, buflen, 0);
	if (len < 0)
		return len;
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	return len;
}

static int __d_walk(struct dentry *parent, int depth, d_walk_fn fn, void *data)
{
	struct dentry *child;
	int ret = fn(parent, depth, data);

	if (ret)
		return ret;
	list_for_each_entry(child, &parent->d_subdirs, d_child) {
		if (d_is_negative(child))
			continue;
		ret = __d_walk(child, depth + 1, fn, data);
		if (ret)
			break;
	}
	return ret;
}

/* Call fn on parent and every positive dentry below it, depth first. */
int d_walk(struct dentry *parent, d_walk_fn fn, void *data)
{
	return __d_walk(parent, 0, fn, data);
}

void dcache_stats(unsigned long *total, unsigned long *negative)
{
	*total = nr_dentry;
	*negative = nr_dentry_negative;
}
