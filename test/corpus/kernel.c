/* kernel.c — decoder corpus: kernel-shaped code (lists, hash tables, slab free lists, per-cpu data, rbtree-ish walks, WARN/BUG traps, likely/unlikely). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned long size_t;

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))
#define WARN_ON(c) ({ int __c = !!(c); if (unlikely(__c)) __builtin_trap(); __c; })

struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };

static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next) {
  next->prev = n; n->next = next; n->prev = prev; prev->next = n;
}
void list_add(struct list_head *n, struct list_head *head) { __list_add(n, head, head->next); }
void list_add_tail(struct list_head *n, struct list_head *head) { __list_add(n, head->prev, head); }
void list_del(struct list_head *e) {
  e->next->prev = e->prev;
  e->prev->next = e->next;
  e->next = (struct list_head *)0xdead000000000100ull;
  e->prev = (struct list_head *)0xdead000000000122ull;
}
void list_move(struct list_head *l, struct list_head *head) {
  l->next->prev = l->prev; l->prev->next = l->next;
  list_add(l, head);
}
int list_empty(const struct list_head *h) { return h->next == h; }
void list_splice(struct list_head *list, struct list_head *head) {
  if (list_empty(list)) return;
  struct list_head *first = list->next, *last = list->prev, *at = head->next;
  first->prev = head; head->next = first; last->next = at; at->prev = last;
}
void hlist_add_head(struct hlist_node *n, struct hlist_head *h) {
  struct hlist_node *first = h->first;
  n->next = first;
  if (first) first->pprev = &n->next;
  h->first = n;
  n->pprev = &h->first;
}
void hlist_del(struct hlist_node *n) {
  struct hlist_node *next = n->next, **pprev = n->pprev;
  *pprev = next;
  if (next) next->pprev = pprev;
}

struct task_struct {
  volatile long state;
  int prio, static_prio;
  u32 flags;
  int pid;
  u64 vruntime;
  u64 utime, stime;
  struct list_head tasks;
  struct list_head run_list;
  struct hlist_node pid_link;
  struct task_struct *parent;
  char comm[16];
  u8 on_cpu, on_rq;
  u16 cpu;
};

#define PIDHASH_BITS 6
struct hlist_head pid_hash[1 << PIDHASH_BITS];
struct list_head runqueue = {&runqueue, &runqueue};
struct list_head all_tasks = {&all_tasks, &all_tasks};

static inline u32 hash_32(u32 val, unsigned int bits) { return val * 0x61C88647 >> (32 - bits); }
void attach_pid(struct task_struct *t) { hlist_add_head(&t->pid_link, &pid_hash[hash_32(t->pid, PIDHASH_BITS)]); }
struct task_struct *find_task_by_pid(int pid) {
  struct hlist_node *n;
  for (n = pid_hash[hash_32(pid, PIDHASH_BITS)].first; n; n = n->next) {
    struct task_struct *t = container_of(n, struct task_struct, pid_link);
    if (t->pid == pid) return t;
  }
  return 0;
}
struct task_struct *pick_next_task(void) {
  struct task_struct *best = 0;
  struct list_head *p;
  for (p = runqueue.next; p != &runqueue; p = p->next) {
    struct task_struct *t = container_of(p, struct task_struct, run_list);
    if (!best || t->vruntime < best->vruntime || (t->vruntime == best->vruntime && t->prio < best->prio)) best = t;
  }
  return best;
}
void enqueue_task(struct task_struct *t) {
  if (WARN_ON(t->on_rq)) return;
  list_add_tail(&t->run_list, &runqueue);
  t->on_rq = 1;
}
void dequeue_task(struct task_struct *t) {
  if (!t->on_rq) return;
  list_del(&t->run_list);
  t->on_rq = 0;
}
void update_curr(struct task_struct *t, u64 delta) {
  static const u32 prio_to_weight[8] = {88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705};
  u32 w = prio_to_weight[(t->prio - 100) & 7];
  t->vruntime += delta * 1024 / w;
  t->utime += delta;
}
int count_tasks_in_state(long state) {
  int n = 0;
  for (struct list_head *p = all_tasks.next; p != &all_tasks; p = p->next)
    if (container_of(p, struct task_struct, tasks)->state == state) n++;
  return n;
}
void set_task_comm(struct task_struct *t, const char *name) {
  int i;
  for (i = 0; i < 15 && name[i]; i++) t->comm[i] = name[i];
  for (; i < 16; i++) t->comm[i] = 0;
}

/* slab */
struct kmem_cache {
  const char *name;
  u32 size, align, objects;
  void *freelist;
  u64 allocs, frees;
  u8 *base;
};
void *kmem_cache_alloc(struct kmem_cache *s) {
  void *obj = s->freelist;
  if (unlikely(!obj)) return 0;
  s->freelist = *(void **)obj;
  s->allocs++;
  return obj;
}
void kmem_cache_free(struct kmem_cache *s, void *obj) {
  if (WARN_ON((u8 *)obj < s->base || (u8 *)obj >= s->base + (u64)s->size * s->objects)) return;
  *(void **)obj = s->freelist;
  s->freelist = obj;
  s->frees++;
}
void kmem_cache_init(struct kmem_cache *s, u8 *mem, u32 size, u32 n) {
  s->base = mem;
  s->size = (size + 7) & ~7u;
  s->objects = n;
  s->freelist = 0;
  for (u32 i = n; i-- > 0;) kmem_cache_free(s, mem + (u64)i * s->size);
  s->frees = 0;
}
static const u32 kmalloc_sizes[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};
int kmalloc_index(size_t size) {
  if (!size) return 0;
  if (size <= 8) return 0;
  if (size > 64 && size <= 96) return 4;
  if (size > 128 && size <= 192) return 6;
  for (int i = 0; i < 12; i++)
    if (size <= kmalloc_sizes[i]) return i;
  return -1;
}

/* per-cpu */
struct pcpu_stats { u64 irqs, nmis, ticks, ctxsw; u32 cpu; u32 pad; };
struct pcpu_stats pcpu[4];
static inline u32 smp_processor_id(void) { u32 c; asm("movl %%gs:0x10, %0" : "=r"(c)); return c; }
void this_cpu_inc_irqs(void) { pcpu[smp_processor_id() & 3].irqs++; }
u64 sum_ticks(void) {
  u64 s = 0;
  for (int i = 0; i < 4; i++) s += pcpu[i].ticks;
  return s;
}

/* jhash */
#define rol32(w, s) (((w) << (s)) | ((w) >> (32 - (s))))
#define __jhash_mix(a, b, c) { \
  a -= c; a ^= rol32(c, 4); c += b; b -= a; b ^= rol32(a, 6); a += c; c -= b; c ^= rol32(b, 8); b += a; \
  a -= c; a ^= rol32(c, 16); c += b; b -= a; b ^= rol32(a, 19); a += c; c -= b; c ^= rol32(b, 4); b += a; }
#define __jhash_final(a, b, c) { \
  c ^= b; c -= rol32(b, 14); a ^= c; a -= rol32(c, 11); b ^= a; b -= rol32(a, 25); c ^= b; c -= rol32(b, 16); \
  a ^= c; a -= rol32(c, 4); b ^= a; b -= rol32(a, 14); c ^= b; c -= rol32(b, 24); }
u32 jhash(const void *key, u32 length, u32 initval) {
  u32 a, b, c;
  const u8 *k = key;
  a = b = c = 0xdeadbeef + length + initval;
  while (length > 12) {
    a += k[0] + ((u32)k[1] << 8) + ((u32)k[2] << 16) + ((u32)k[3] << 24);
    b += k[4] + ((u32)k[5] << 8) + ((u32)k[6] << 16) + ((u32)k[7] << 24);
    c += k[8] + ((u32)k[9] << 8) + ((u32)k[10] << 16) + ((u32)k[11] << 24);
    __jhash_mix(a, b, c);
    length -= 12;
    k += 12;
  }
  switch (length) {
  case 12: c += (u32)k[11] << 24; /* fallthrough */
  case 11: c += (u32)k[10] << 16; /* fallthrough */
  case 10: c += (u32)k[9] << 8; /* fallthrough */
  case 9: c += k[8]; /* fallthrough */
  case 8: b += (u32)k[7] << 24; /* fallthrough */
  case 7: b += (u32)k[6] << 16; /* fallthrough */
  case 6: b += (u32)k[5] << 8; /* fallthrough */
  case 5: b += k[4]; /* fallthrough */
  case 4: a += (u32)k[3] << 24; /* fallthrough */
  case 3: a += (u32)k[2] << 16; /* fallthrough */
  case 2: a += (u32)k[1] << 8; /* fallthrough */
  case 1: a += k[0];
    __jhash_final(a, b, c);
    break;
  case 0: break;
  }
  return c;
}

/* simple interval tree / rb-like walk */
struct vm_area { u64 start, end; struct vm_area *left, *right; u32 flags; };
struct vm_area *find_vma(struct vm_area *root, u64 addr) {
  struct vm_area *best = 0;
  while (root) {
    if (root->end > addr) {
      best = root;
      if (root->start <= addr) break;
      root = root->left;
    } else {
      root = root->right;
    }
  }
  return best;
}
int vma_is_writable(const struct vm_area *v) { return (v->flags & 0x2) && !(v->flags & 0x800); }

/* ring buffer */
struct ring { u32 head, tail, mask; u64 lost; u64 data[256]; };
int ring_push(struct ring *r, u64 v) {
  if (r->head - r->tail > r->mask) { r->lost++; return -1; }
  r->data[r->head++ & r->mask] = v;
  return 0;
}
int ring_pop(struct ring *r, u64 *v) {
  if (r->head == r->tail) return -1;
  *v = r->data[r->tail++ & r->mask];
  return 0;
}
struct ring trace_ring = {.mask = 255};

/* timer wheel */
struct timer { struct list_head entry; u64 expires; void (*fn)(struct timer *); };
struct list_head wheel[64];
void timer_wheel_init(void) { for (int i = 0; i < 64; i++) INIT_LIST_HEAD(&wheel[i]); }
void add_timer(struct timer *t) { list_add_tail(&t->entry, &wheel[t->expires & 63]); }
int run_timers(u64 now) {
  struct list_head *head = &wheel[now & 63], *p = head->next, *n;
  int ran = 0;
  for (; p != head; p = n) {
    n = p->next;
    struct timer *t = container_of(p, struct timer, entry);
    if (t->expires <= now) { list_del(p); t->fn(t); ran++; }
  }
  return ran;
}

__attribute__((noreturn)) void panic(const char *msg) {
  (void)msg;
  for (;;) asm volatile("cli; hlt");
}
void check_stack(u64 sp, u64 base) {
  if (unlikely(sp < base + 256)) panic("stack overflow");
}
long err_ptr_check(void *p) {
  if ((unsigned long)p >= (unsigned long)-4095) return (long)p;
  return 0;
}

struct task_struct init_task;
void corpus_kernel(void) {
  timer_wheel_init();
  init_task.pid = 1;
  attach_pid(&init_task);
  enqueue_task(&init_task);
}
