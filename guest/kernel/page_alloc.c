/* page_alloc.c: mm/page_alloc.c + memory_hotplug.c-alike: a bitmap allocator over a fixed pool of 4K pages */
#include "slab.h"

/*
 * The boot workload gets the first NR_BOOT_PAGES; the rest of the pool
 * comes online with the secondary CPUs (memory hotplug), for their workers.
 */
#define NR_POOL_PAGES	256
#define NR_BOOT_PAGES	128
#define BITMAP_LONGS	(NR_POOL_PAGES / BITS_PER_LONG)

static u8 page_pool[NR_POOL_PAGES * PAGE_SIZE] __aligned(PAGE_SIZE);
static unsigned long page_free_map[BITMAP_LONGS];	/* 1 = free */
static unsigned long nr_online_pages;
static unsigned long nr_free;
static unsigned long alloc_hint;			/* word to search first */
unsigned long pages_allocated_total;

static inline unsigned long page_to_pfn(const void *addr)
{
	return ((unsigned long)addr - (unsigned long)page_pool) >> PAGE_SHIFT;
}

static inline void *pfn_to_virt(unsigned long pfn)
{
	return page_pool + (pfn << PAGE_SHIFT);
}

void __init page_alloc_init(void)
{
	unsigned long i;

	for (i = 0; i < NR_BOOT_PAGES / BITS_PER_LONG; i++)
		page_free_map[i] = ~0UL;
	nr_online_pages = nr_free = NR_BOOT_PAGES;
	pr_info("Memory: %luK/%luK available (%lu pages of %lu bytes)\n",
		nr_free << (PAGE_SHIFT - 10), nr_online_pages << (PAGE_SHIFT - 10),
		nr_free, PAGE_SIZE);
}

/* online_pages(): the rest of the pool.  The caller holds the BKL. */
void online_hotplug_pages(void)
{
	unsigned long i, added = NR_POOL_PAGES - nr_online_pages;

	for (i = nr_online_pages / BITS_PER_LONG; i < BITMAP_LONGS; i++)
		page_free_map[i] = ~0UL;
	nr_online_pages += added;
	nr_free += added;
	pr_info("Memory: hotplug: onlined %luK (%lu pages), %luK/%luK available\n",
		added << (PAGE_SHIFT - 10), added, nr_free << (PAGE_SHIFT - 10),
		nr_online_pages << (PAGE_SHIFT - 10));
}

void *__get_free_page(gfp_t gfp)
{
	unsigned long i, w, bit, pfn;
	void *addr;

	for (i = 0; i < BITMAP_LONGS; i++) {
		w = (alloc_hint + i) % BITMAP_LONGS;
		if (page_free_map[w])
			goto found;
	}
	pr_warn("page allocation failure: order:0, mode:%#x\n", gfp);
	return NULL;

found:
	bit = __builtin_ctzl(page_free_map[w]);
	page_free_map[w] &= ~(1UL << bit);
	alloc_hint = w;
	nr_free--;
	pages_allocated_total++;
	pfn = w * BITS_PER_LONG + bit;
	addr = pfn_to_virt(pfn);
	if (gfp & __GFP_ZERO)
		memset(addr, 0, PAGE_SIZE);
	return addr;
}

void free_page(void *addr)
{
	unsigned long pfn = page_to_pfn(addr);
	unsigned long w = pfn / BITS_PER_LONG;
	unsigned long bit = pfn % BITS_PER_LONG;

	if (pfn >= nr_online_pages || ((unsigned long)addr & ~PAGE_MASK))
		panic("free_page: bad page %px", addr);
	if (page_free_map[w] & (1UL << bit))
		panic("free_page: double free of pfn %lu", pfn);
	page_free_map[w] |= 1UL << bit;
	nr_free++;
}

unsigned long nr_free_pages(void)
{
	return nr_free;
}

unsigned long totalram_pages(void)
{
	return nr_online_pages;
}
