/* sort_hash.c — program-style code: a generic qsort-like sort with comparator callbacks, merge and insertion sorts, binary search, and open-addressing and chained hash tables. */
#include "harness.h"

static u64 rng_state;
static u64 rng(void) {
  /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

/* ---- generic quicksort over bytes, like qsort ---- */
typedef int (*cmp_fn)(const void *, const void *);

static void swap_bytes(u8 *a, u8 *b, usize n) {
  while (n--) {
    u8 t = *a;
    *a++ = *b;
    *b++ = t;
  }
}

static NOINLINE void gsort(void *base, usize n, usize size, cmp_fn cmp) {
  u8 *b = (u8 *)base;
  while (n > 1) {
    if (n < 8) { /* insertion sort for small ranges */
      for (usize i = 1; i < n; i++)
        for (usize j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
          swap_bytes(b + (j - 1) * size, b + j * size, size);
      return;
    }
    /* median of three to position 0 */
    usize mid = n / 2;
    if (cmp(b + mid * size, b) < 0) swap_bytes(b + mid * size, b, size);
    if (cmp(b + (n - 1) * size, b) < 0) swap_bytes(b + (n - 1) * size, b, size);
    if (cmp(b + (n - 1) * size, b + mid * size) < 0) swap_bytes(b + (n - 1) * size, b + mid * size, size);
    swap_bytes(b, b + mid * size, size);
    usize i = 1, j = n - 1;
    for (;;) {
      while (i < n && cmp(b + i * size, b) < 0) i++;
      while (cmp(b + j * size, b) > 0) j--;
      if (i >= j) break;
      swap_bytes(b + i * size, b + j * size, size);
      i++;
      j--;
    }
    swap_bytes(b, b + j * size, size);
    /* recurse into the smaller half, loop on the larger */
    if (j < n - j - 1) {
      gsort(b, j, size, cmp);
      b += (j + 1) * size;
      n -= j + 1;
    } else {
      gsort(b + (j + 1) * size, n - j - 1, size, cmp);
      n = j;
    }
  }
}

static int cmp_u64(const void *a, const void *b) {
  u64 x = *(const u64 *)a, y = *(const u64 *)b;
  return (x > y) - (x < y);
}
static int cmp_s32_desc(const void *a, const void *b) {
  s32 x = *(const s32 *)a, y = *(const s32 *)b;
  return (x < y) - (x > y);
}
struct rec {
  u16 key;
  u8 tag;
  u8 pad;
  u32 seq;
};
static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = (const struct rec *)a, *y = (const struct rec *)b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  if (x->tag != y->tag) return x->tag < y->tag ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

/* ---- merge sort on s64 ---- */
static s64 merge_tmp[4096];
static NOINLINE void msort(s64 *a, int n) {
  if (n < 2) return;
  int h = n / 2;
  msort(a, h);
  msort(a + h, n - h);
  int i = 0, j = h, k = 0;
  while (i < h && j < n) merge_tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < h) merge_tmp[k++] = a[i++];
  while (j < n) merge_tmp[k++] = a[j++];
  for (int t = 0; t < n; t++) a[t] = merge_tmp[t];
}

static NOINLINE int bsearch_u64(const u64 *a, int n, u64 key) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (a[mid] == key) return mid;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -(lo + 1);
}

static void sorts(void) {
  static u64 a[3000];
  static s32 b[2000];
  static struct rec r[1500];
  static s64 m[4096];
  rng_state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 3000; i++) a[i] = rng() >> (i % 40);
  for (int i = 0; i < 2000; i++) b[i] = (s32)(rng() >> 32) % 1000;
  for (int i = 0; i < 1500; i++) {
    u64 x = rng();
    r[i].key = (u16)(x % 97);
    r[i].tag = (u8)(x >> 20) & 3;
    r[i].pad = 0;
    r[i].seq = (u32)i;
  }
  for (int i = 0; i < 4096; i++) m[i] = (s64)rng();
  gsort(a, 3000, sizeof a[0], cmp_u64);
  gsort(b, 2000, sizeof b[0], cmp_s32_desc);
  gsort(r, 1500, sizeof r[0], cmp_rec);
  msort(m, 4096);
  int ok = 1;
  for (int i = 1; i < 3000; i++) ok &= a[i - 1] <= a[i];
  for (int i = 1; i < 2000; i++) ok &= b[i - 1] >= b[i];
  for (int i = 1; i < 1500; i++) ok &= cmp_rec(&r[i - 1], &r[i]) < 0;
  for (int i = 1; i < 4096; i++) ok &= m[i - 1] <= m[i];
  put_str("sorted ");
  put_u64((u64)ok);
  put_sp();
  put_hex(fnv64(a, sizeof a), 16);
  put_sp();
  put_hex(fnv64(b, sizeof b), 16);
  put_sp();
  put_hex(fnv64(r, sizeof r), 16);
  put_sp();
  put_hex(fnv64(m, sizeof m), 16);
  put_nl();
  put_str("first ");
  for (int i = 0; i < 4; i++) {
    put_hex(a[i], 16);
    put_sp();
  }
  put_i64(b[0]);
  put_sp();
  put_i64(b[1999]);
  put_sp();
  put_u64(r[0].key);
  put_char('/');
  put_u64(r[0].seq);
  put_sp();
  put_i64(m[0]);
  put_sp();
  put_i64(m[4095]);
  put_nl();
  put_str("search");
  for (int i = 0; i < 3000; i += 250) {
    put_sp();
    put_i64(bsearch_u64(a, 3000, a[i]) >= 0);
    put_i64(bsearch_u64(a, 3000, a[i] + 1) < 0 ? 0 : 1);
  }
  put_sp();
  put_i64(bsearch_u64(a, 3000, 0));
  put_nl();
}

/* ---- open addressing hash table with deletion (tombstones) ---- */
#define HT_CAP 2048
struct slot {
  u64 key;
  u64 val;
  u8 state; /* 0 empty, 1 used, 2 deleted */
};
static struct slot table[HT_CAP];
static u64 probes;

static u64 hash64(u64 x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

static NOINLINE int ht_put(u64 key, u64 val) {
  u64 h = hash64(key) & (HT_CAP - 1);
  s64 tomb = -1;
  for (u64 i = 0; i < HT_CAP; i++) {
    struct slot *s = &table[(h + i) & (HT_CAP - 1)];
    probes++;
    if (s->state == 0) {
      if (tomb >= 0) s = &table[tomb];
      s->key = key;
      s->val = val;
      s->state = 1;
      return 1;
    }
    if (s->state == 2) {
      if (tomb < 0) tomb = (s64)((h + i) & (HT_CAP - 1));
    } else if (s->key == key) {
      s->val = val;
      return 0;
    }
  }
  return -1;
}
static NOINLINE struct slot *ht_find(u64 key) {
  u64 h = hash64(key) & (HT_CAP - 1);
  for (u64 i = 0; i < HT_CAP; i++) {
    struct slot *s = &table[(h + i) & (HT_CAP - 1)];
    probes++;
    if (s->state == 0) return 0;
    if (s->state == 1 && s->key == key) return s;
  }
  return 0;
}
static NOINLINE int ht_del(u64 key) {
  struct slot *s = ht_find(key);
  if (!s) return 0;
  s->state = 2;
  return 1;
}

/* ---- chained hash of strings (indices, not pointers) ---- */
#define NB 64
#define NE 600
struct entry {
  char name[16];
  u32 count;
  s32 next;
};
static struct entry entries[NE];
static s32 buckets[NB];
static int nentries;

static u32 djb2(const char *s) {
  u32 h = 5381;
  while (*s) h = h * 33 + (u8)*s++;
  return h;
}
static NOINLINE void word_count(const char *w) {
  u32 b = djb2(w) % NB;
  for (s32 e = buckets[b]; e >= 0; e = entries[e].next) {
    const char *x = entries[e].name, *y = w;
    while (*x && *x == *y) x++, y++;
    if (*x == *y) {
      entries[e].count++;
      return;
    }
  }
  struct entry *n = &entries[nentries];
  int i = 0;
  for (; w[i] && i < 15; i++) n->name[i] = w[i];
  n->name[i] = 0;
  n->count = 1;
  n->next = buckets[b];
  buckets[b] = nentries++;
}

static void hashes(void) {
  rng_state = 12345;
  int inserted = 0, updated = 0;
  for (int i = 0; i < 1500; i++) {
    u64 k = rng() % 3000;
    int r = ht_put(k, (u64)i);
    if (r == 1) inserted++;
    else if (r == 0) updated++;
  }
  int deleted = 0;
  for (u64 k = 0; k < 3000; k += 3) deleted += ht_del(k);
  for (int i = 0; i < 400; i++) ht_put(rng() % 5000, 7);
  u64 found = 0, sum = 0;
  for (u64 k = 0; k < 5000; k++) {
    struct slot *s = ht_find(k);
    if (s) {
      found++;
      sum = sum * 31 + s->val + k;
    }
  }
  put_str("hashtable ");
  put_u64((u64)inserted);
  put_sp();
  put_u64((u64)updated);
  put_sp();
  put_u64((u64)deleted);
  put_sp();
  put_u64(found);
  put_sp();
  put_hex(sum, 16);
  put_sp();
  put_u64(probes);
  put_nl();

  for (int i = 0; i < NB; i++) buckets[i] = -1;
  static const char *const syll[] = {"ft", "race", "ops", "func", "text", "poke", "bp", "nop",
                                     "call", "graph", "ret", "tramp"};
  char w[16];
  for (int i = 0; i < 3000; i++) {
    u64 x = rng();
    int n = 0;
    const char *a = syll[x % 12], *b = syll[(x >> 8) % 12];
    if ((x >> 16) % 3 == 0) b = "";
    while (*a) w[n++] = *a++;
    while (*b) w[n++] = *b++;
    w[n] = 0;
    word_count(w);
  }
  put_str("words ");
  put_u64((u64)nentries);
  put_nl();
  /* report in bucket order */
  for (int bkt = 0; bkt < NB; bkt++) {
    if (buckets[bkt] < 0) continue;
    put_u64((u64)bkt);
    put_char(':');
    for (s32 e = buckets[bkt]; e >= 0; e = entries[e].next) {
      put_sp();
      put_str(entries[e].name);
      put_char('=');
      put_u64(entries[e].count);
    }
    put_nl();
  }
}

void test_main(void) {
  sorts();
  hashes();
}
