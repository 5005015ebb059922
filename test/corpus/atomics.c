/* atomics.c — decoder corpus: __atomic builtins (lock xadd/cmpxchg/or/and/inc/dec/bts, xchg), spinlocks, refcounts, seqlocks. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;

int atomic_read(const atomic_t *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); }
void atomic_set(atomic_t *v, int i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); }
void atomic_add(int i, atomic_t *v) { __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); }
void atomic_sub(int i, atomic_t *v) { __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); }
void atomic_inc(atomic_t *v) { __atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); }
void atomic_dec(atomic_t *v) { __atomic_fetch_sub(&v->counter, 1, __ATOMIC_RELAXED); }
int atomic_add_return(int i, atomic_t *v) { return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }
int atomic_fetch_add(int i, atomic_t *v) { return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); }
int atomic_dec_and_test(atomic_t *v) { return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST) == 0; }
int atomic_inc_and_test(atomic_t *v) { return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST) == 0; }
int atomic_add_negative(int i, atomic_t *v) { return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST) < 0; }
int atomic_xchg(atomic_t *v, int n) { return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }
int atomic_cmpxchg(atomic_t *v, int old, int n) {
  __atomic_compare_exchange_n(&v->counter, &old, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return old;
}
int atomic_try_cmpxchg(atomic_t *v, int *old, int n) {
  return __atomic_compare_exchange_n(&v->counter, old, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
void atomic_or(int i, atomic_t *v) { __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); }
void atomic_and(int i, atomic_t *v) { __atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); }
void atomic_xor(int i, atomic_t *v) { __atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED); }
int atomic_fetch_or(int i, atomic_t *v) { return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST); }
int atomic_fetch_and(int i, atomic_t *v) { return __atomic_fetch_and(&v->counter, i, __ATOMIC_SEQ_CST); }
int atomic_add_unless(atomic_t *v, int a, int u) {
  int c = atomic_read(v);
  do {
    if (c == u) return 0;
  } while (!atomic_try_cmpxchg(v, &c, c + a));
  return 1;
}
s64 atomic64_add_return(s64 i, atomic64_t *v) { return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); }
void atomic64_inc(atomic64_t *v) { __atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED); }
void atomic64_add_imm(atomic64_t *v) { __atomic_fetch_add(&v->counter, 0x12345, __ATOMIC_RELAXED); }
s64 atomic64_xchg(atomic64_t *v, s64 n) { return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); }
s64 atomic64_cmpxchg(atomic64_t *v, s64 old, s64 n) {
  __atomic_compare_exchange_n(&v->counter, &old, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return old;
}
u8 xchg8(u8 *p, u8 v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
u16 xchg16(u16 *p, u16 v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
u8 cmpxchg8(u8 *p, u8 o, u8 n) { __atomic_compare_exchange_n(p, &o, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return o; }
u16 cmpxchg16(u16 *p, u16 o, u16 n) { __atomic_compare_exchange_n(p, &o, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return o; }
u16 fetch_add16(u16 *p, u16 v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
u8 fetch_add8(u8 *p, u8 v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
void inc8(u8 *p) { __atomic_fetch_add(p, 1, __ATOMIC_RELAXED); }
void dec16(u16 *p) { __atomic_fetch_sub(p, 1, __ATOMIC_RELAXED); }
void or8(u8 *p, u8 m) { __atomic_fetch_or(p, m, __ATOMIC_RELAXED); }
void and16(u16 *p) { __atomic_fetch_and(p, 0x0ff0, __ATOMIC_RELAXED); }

/* gcc turns these into lock bts / btr / btc */
int test_and_set_bit(long nr, unsigned long *addr) {
  unsigned long mask = 1UL << (nr & 63);
  return (__atomic_fetch_or(addr + (nr >> 6), mask, __ATOMIC_SEQ_CST) & mask) != 0;
}
int test_and_clear_bit(long nr, unsigned long *addr) {
  unsigned long mask = 1UL << (nr & 63);
  return (__atomic_fetch_and(addr + (nr >> 6), ~mask, __ATOMIC_SEQ_CST) & mask) != 0;
}
int test_and_change_bit(long nr, unsigned long *addr) {
  unsigned long mask = 1UL << (nr & 63);
  return (__atomic_fetch_xor(addr + (nr >> 6), mask, __ATOMIC_SEQ_CST) & mask) != 0;
}
int test_and_set_bit5(unsigned long *addr) { return (__atomic_fetch_or(addr, 32UL, __ATOMIC_SEQ_CST) & 32UL) != 0; }
void set_bit(long nr, unsigned long *addr) { __atomic_fetch_or(addr + (nr >> 6), 1UL << (nr & 63), __ATOMIC_RELAXED); }
void clear_bit(long nr, unsigned long *addr) { __atomic_fetch_and(addr + (nr >> 6), ~(1UL << (nr & 63)), __ATOMIC_RELAXED); }

typedef struct { volatile u32 lock; } raw_spinlock_t;
void spin_lock(raw_spinlock_t *l) {
  while (__atomic_exchange_n(&l->lock, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&l->lock, __ATOMIC_RELAXED)) __builtin_ia32_pause();
}
int spin_trylock(raw_spinlock_t *l) { return !__atomic_exchange_n(&l->lock, 1, __ATOMIC_ACQUIRE); }
void spin_unlock(raw_spinlock_t *l) { __atomic_store_n(&l->lock, 0, __ATOMIC_RELEASE); }

/* ticket lock */
typedef struct { u16 head, tail; } ticket_lock_t;
void ticket_lock(ticket_lock_t *l) {
  u16 me = __atomic_fetch_add(&l->tail, 1, __ATOMIC_ACQUIRE);
  while (__atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != me) __builtin_ia32_pause();
}
void ticket_unlock(ticket_lock_t *l) { __atomic_fetch_add(&l->head, 1, __ATOMIC_RELEASE); }

typedef struct { u32 sequence; } seqcount_t;
u32 read_seqcount_begin(const seqcount_t *s) {
  u32 r;
  while ((r = __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE)) & 1) __builtin_ia32_pause();
  return r;
}
int read_seqcount_retry(const seqcount_t *s, u32 start) {
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  return __atomic_load_n(&s->sequence, __ATOMIC_RELAXED) != start;
}
void write_seqcount_begin(seqcount_t *s) { s->sequence++; __atomic_thread_fence(__ATOMIC_RELEASE); }
void full_barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void store_seq_cst(u64 *p, u64 v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
void store_seq_cst8(u8 *p, u8 v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

typedef struct { atomic_t refs; } refcount_t;
int refcount_inc_not_zero(refcount_t *r) {
  int old = atomic_read(&r->refs);
  do {
    if (!old) return 0;
  } while (!atomic_try_cmpxchg(&r->refs, &old, old + 1));
  return 1;
}
int refcount_dec_and_test(refcount_t *r) { return atomic_dec_and_test(&r->refs); }
struct llist_node { struct llist_node *next; };
struct llist_head { struct llist_node *first; };
int llist_add(struct llist_node *new_, struct llist_head *head) {
  struct llist_node *first = __atomic_load_n(&head->first, __ATOMIC_RELAXED);
  do { new_->next = first; } while (!__atomic_compare_exchange_n(&head->first, &first, new_, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  return first == 0;
}
struct llist_node *llist_del_all(struct llist_head *head) { return __atomic_exchange_n(&head->first, 0, __ATOMIC_SEQ_CST); }

atomic_t a0;
atomic64_t a1;
void corpus_atomics(void) {
  atomic_inc(&a0);
  atomic64_inc(&a1);
}
