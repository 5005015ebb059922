/* slab.h: include/linux/{slab,gfp,mm}.h-alike: page allocator and slab caches */
#ifndef _SLAB_H
#define _SLAB_H

#include "list.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define GFP_KERNEL	0x0cc0u
#define __GFP_ZERO	0x0100u

#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_PANIC		0x00040000u
#define SLAB_ACCOUNT		0x04000000u

#define ARCH_KMALLOC_MINALIGN	8
#define L1_CACHE_BYTES		64

struct kmem_cache {
	const char	*name;
	unsigned int	object_size;	/* what the caller asked for */
	unsigned int	size;		/* with alignment */
	unsigned int	align;
	unsigned int	objects;	/* per slab */
	unsigned int	flags;
	void		(*ctor)(void *obj);
	struct list_head slabs_partial;
	struct list_head slabs_full;
	struct list_head slabs_free;
	unsigned long	nr_slabs;
	unsigned long	active_objs;
	unsigned long	total_allocs;
	unsigned long	total_frees;
	struct list_head list;		/* on slab_caches */
};

/* mm/page_alloc.c */
void __init page_alloc_init(void);
void *__get_free_page(gfp_t gfp);
void free_page(void *addr);
void online_hotplug_pages(void);
unsigned long nr_free_pages(void);
unsigned long totalram_pages(void);

/* mm/slab.c */
void __init kmem_cache_init(void);
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *));
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *obj);
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void kfree(const void *obj);
char *kstrdup(const char *s, gfp_t gfp);
void slabinfo_show(void);

#endif /* _SLAB_H */
