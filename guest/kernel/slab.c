/* slab.c: mm/slab.c + mm/slab_common.c-alike: object caches carved out of single pages */
#include "slab.h"

/*
 * Each slab is one page: a struct slab header, then `objects` objects of
 * `size` bytes.  Free objects are chained through their first word.
 */
struct slab {
	struct list_head	slab_list;
	struct kmem_cache	*cache;
	void			*freelist;
	unsigned int		inuse;
	unsigned int		objects;
};

#define MAX_CACHES	24

static struct kmem_cache kmem_cache_boot[MAX_CACHES];
static unsigned int nr_caches;
static LIST_HEAD(slab_caches);

static const unsigned int kmalloc_sizes[] = { 16, 32, 64, 128, 256, 512, 1024, 2048 };
static struct kmem_cache *kmalloc_caches[ARRAY_SIZE(kmalloc_sizes)];
static const char *const kmalloc_names[] = {
	"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1k", "kmalloc-2k",
};

static inline unsigned int slab_first_offset(const struct kmem_cache *s)
{
	return ALIGN((unsigned int)sizeof(struct slab), s->align);
}

static inline struct slab *virt_to_slab(const void *obj)
{
	return (struct slab *)((unsigned long)obj & PAGE_MASK);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *s;

	if (nr_caches >= MAX_CACHES) {
		if (flags & SLAB_PANIC)
			panic("kmem_cache_create: Failed to create slab '%s'", name);
		return NULL;
	}
	if (align < ARCH_KMALLOC_MINALIGN)
		align = ARCH_KMALLOC_MINALIGN;
	if ((flags & SLAB_HWCACHE_ALIGN) && size > L1_CACHE_BYTES / 2)
		align = max(align, (unsigned int)L1_CACHE_BYTES);

	s = &kmem_cache_boot[nr_caches++];
	s->name = name;
	s->object_size = size;
	s->size = ALIGN(max(size, (unsigned int)sizeof(void *)), align);
	s->align = align;
	s->flags = flags;
	s->ctor = ctor;
	s->objects = (unsigned int)(PAGE_SIZE - slab_first_offset(s)) / s->size;
	if (!s->objects)
		panic("kmem_cache_create: %s: object of %u bytes does not fit a slab",
		      name, size);
	INIT_LIST_HEAD(&s->slabs_partial);
	INIT_LIST_HEAD(&s->slabs_full);
	INIT_LIST_HEAD(&s->slabs_free);
	list_add_tail(&s->list, &slab_caches);
	return s;
}

static struct slab *new_slab(struct kmem_cache *s, gfp_t gfp)
{
	struct slab *slab = __get_free_page(gfp & ~__GFP_ZERO);
	char *p, *next;
	unsigned int i;

	if (!slab)
		return NULL;
	slab->cache = s;
	slab->inuse = 0;
	slab->objects = s->objects;

	/* Thread the free list through the objects, in address order. */
	p = (char *)slab + slab_first_offset(s);
	slab->freelist = p;
	for (i = 0; i < s->objects; i++, p = next) {
		next = p + s->size;
		*(void **)p = (i + 1 < s->objects) ? next : NULL;
	}
	s->nr_slabs++;
	return slab;
}

static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	list_del(&slab->slab_list);
	s->nr_slabs--;
	free_page(slab);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct slab *slab;
	void *obj;

	if (!list_empty(&s->slabs_partial)) {
		slab = list_first_entry(&s->slabs_partial, struct slab, slab_list);
	} else if (!list_empty(&s->slabs_free)) {
		slab = list_first_entry(&s->slabs_free, struct slab, slab_list);
		list_move_tail(&slab->slab_list, &s->slabs_partial);
	} else {
		slab = new_slab(s, gfp);
		if (!slab)
			return NULL;
		list_add(&slab->slab_list, &s->slabs_partial);
	}

	obj = slab->freelist;
	slab->freelist = *(void **)obj;
	slab->inuse++;
	if (slab->inuse == slab->objects)
		list_move_tail(&slab->slab_list, &s->slabs_full);

	s->active_objs++;
	s->total_allocs++;

	/* Unlike the kernel, the constructor runs at allocation time. */
	if (gfp & __GFP_ZERO)
		memset(obj, 0, s->object_size);
	else if (s->ctor)
		s->ctor(obj);
	return obj;
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc(s, gfp | __GFP_ZERO);
}

void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct slab *slab = virt_to_slab(obj);
	unsigned long offset;
	bool was_full;

	if (unlikely(slab->cache != s))
		panic("kmem_cache_free: Wrong slab cache. %s but object is from %s",
		      s->name, slab->cache->name);
	offset = (unsigned long)obj - (unsigned long)slab - slab_first_offset(s);
	if (unlikely(offset % s->size))
		panic("kmem_cache_free: %s: pointer %px is not an object", s->name, obj);
	if (unlikely(obj == slab->freelist))
		panic("kmem_cache_free: %s: double free of %px", s->name, obj);

	was_full = slab->inuse == slab->objects;
	*(void **)obj = slab->freelist;
	slab->freelist = obj;
	slab->inuse--;
	s->active_objs--;
	s->total_frees++;

	if (slab->inuse == 0) {
		/* Keep one empty slab cached; give further ones back. */
		if (!list_empty(&s->slabs_free))
			discard_slab(s, slab);
		else
			list_move_tail(&slab->slab_list, &s->slabs_free);
	} else if (was_full) {
		list_move_tail(&slab->slab_list, &s->slabs_partial);
	}
}

static unsigned int kmalloc_index(size_t size)
{
	if (size <= 16)
		return 0;
	/* ceil(log2(size)) - 4 */
	return (BITS_PER_LONG - __builtin_clzl(size - 1)) - 4;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	unsigned int index;

	if (size == 0)
		return NULL;
	index = kmalloc_index(size);
	if (index >= ARRAY_SIZE(kmalloc_caches)) {
		pr_warn("kmalloc: %lu bytes is too large\n", size);
		return NULL;
	}
	return kmem_cache_alloc(kmalloc_caches[index], gfp);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

void kfree(const void *obj)
{
	struct slab *slab;

	if (!obj)
		return;
	slab = virt_to_slab(obj);
	kmem_cache_free(slab->cache, (void *)obj);
}

char *kstrdup(const char *s, gfp_t gfp)
{
	size_t len = strlen(s) + 1;
	char *buf = kmalloc(len, gfp);

	if (buf)
		memcpy(buf, s, len);
	return buf;
}

void __init kmem_cache_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kmalloc_sizes); i++)
		kmalloc_caches[i] = kmem_cache_create(kmalloc_names[i], kmalloc_sizes[i],
						      0, SLAB_PANIC, NULL);
	pr_info("SLUB: HWalign=%d, Order=0-0, MinObjects=0, CPUs=1, Nodes=1\n",
		L1_CACHE_BYTES);
}

void slabinfo_show(void)
{
	struct kmem_cache *s;

	pr_info("slabinfo: # name            <active_objs> <num_objs> <objsize> <objperslab> : slabdata <num_slabs> <allocs> <frees>\n");
	list_for_each_entry(s, &slab_caches, list) {
		if (!s->total_allocs)
			continue;
		pr_info("slabinfo: %-17s %6lu %6lu %6u %4u : slabdata %4lu %7lu %7lu\n",
			s->name, s->active_objs, s->nr_slabs * s->objects,
			s->size, s->objects, s->nr_slabs, s->total_allocs,
			s->total_frees);
	}
}
