/* structs.c — decoder corpus: structs, unions, bitfields, struct copies and initialisers, arrays of records. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;
typedef short s16;
typedef signed char s8;

struct timespec64 { s64 tv_sec; long tv_nsec; };
struct kstat {
  u32 mode; u32 nlink; u64 ino; u64 size; u16 uid; u16 gid; u8 type; u8 flags;
  struct timespec64 atime, mtime, ctime;
  u64 blocks; u32 blksize; u32 pad[5];
};
union reg64 {
  u64 q;
  u32 d[2];
  u16 w[4];
  u8 b[8];
  struct { u8 lo, hi; } x;
};
struct packed_hdr {
  u8 kind;
  u16 len;
  u32 seq;
  u64 stamp;
} __attribute__((packed));

struct kstat global_stat, stat_array[8];
union reg64 regs[16];
struct packed_hdr hdrs[4];

void stat_clear(struct kstat *st) { *st = (struct kstat){0}; }
void stat_copy(struct kstat *dst, const struct kstat *src) { *dst = *src; }
struct kstat stat_make(u32 mode, u64 size) {
  struct kstat st = {.mode = mode, .size = size, .nlink = 1, .blksize = 4096};
  st.blocks = (size + 511) >> 9;
  return st;
}
void stat_fill_all(void) {
  for (int i = 0; i < 8; i++) stat_array[i] = stat_make(0100644 | i, (u64)i << 12);
}
s64 timespec_diff_ns(const struct timespec64 *a, const struct timespec64 *b) {
  return (a->tv_sec - b->tv_sec) * 1000000000LL + (a->tv_nsec - b->tv_nsec);
}
struct timespec64 ns_to_timespec64(s64 nsec) {
  struct timespec64 ts;
  ts.tv_sec = nsec / 1000000000;
  ts.tv_nsec = nsec % 1000000000;
  if (ts.tv_nsec < 0) { ts.tv_sec--; ts.tv_nsec += 1000000000; }
  return ts;
}
int timespec_compare(struct timespec64 a, struct timespec64 b) {
  if (a.tv_sec < b.tv_sec) return -1;
  if (a.tv_sec > b.tv_sec) return 1;
  return (a.tv_nsec > b.tv_nsec) - (a.tv_nsec < b.tv_nsec);
}

u8 reg_byte(int r, int i) { return regs[r & 15].b[i & 7]; }
u16 reg_word(int r, int i) { return regs[r & 15].w[i & 3]; }
void reg_set_hi(int r, u8 v) { regs[r & 15].x.hi = v; }
u8 reg_get_hi(int r) { return regs[r & 15].x.hi; }
void reg_set_dword(int r, int i, u32 v) { regs[r & 15].d[i & 1] = v; }
u64 reg_swap_halves(int r) { union reg64 t = regs[r & 15]; u32 x = t.d[0]; t.d[0] = t.d[1]; t.d[1] = x; return t.q; }
s16 reg_sword(int r) { return (s16)regs[r & 15].w[1]; }
s8 reg_sbyte(int r) { return (s8)regs[r & 15].b[3]; }

u64 hdr_sum(void) {
  u64 s = 0;
  for (int i = 0; i < 4; i++) s += hdrs[i].kind + hdrs[i].len + hdrs[i].seq + hdrs[i].stamp;
  return s;
}
void hdr_set(int i, u16 len, u32 seq) { hdrs[i & 3].len = len; hdrs[i & 3].seq = seq; }

struct big { u64 v[32]; };
struct big big_a, big_b;
void big_copy(void) { big_b = big_a; }
void big_zero(struct big *b) { *b = (struct big){{0}}; }
struct big big_ret(u64 x) { struct big b = {{x, x + 1, x + 2}}; b.v[31] = x; return b; }
u64 big_sum(struct big b) { u64 s = 0; for (int i = 0; i < 32; i++) s += b.v[i]; return s; }
u64 big_by_value(void) { return big_sum(big_a); }

struct rect { s16 x, y, w, h; };
struct rect rect_intersect(struct rect a, struct rect b) {
  struct rect r;
  s16 x2 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
  s16 y2 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
  r.x = a.x > b.x ? a.x : b.x;
  r.y = a.y > b.y ? a.y : b.y;
  r.w = x2 > r.x ? x2 - r.x : 0;
  r.h = y2 > r.y ? y2 - r.y : 0;
  return r;
}
int rect_area(struct rect r) { return r.w * r.h; }

struct small3 { u8 a, b, c; };
struct small3 small3_make(u8 a) { struct small3 s = {a, (u8)(a + 1), (u8)(a * 3)}; return s; }
struct pair { u32 a; u64 b; };
struct pair pair_swap(struct pair p) { struct pair q = {(u32)p.b, p.a}; return q; }

struct flags_word {
  u32 present : 1, rw : 1, user : 1, pwt : 1, pcd : 1, accessed : 1, dirty : 1, pse : 1;
  u32 global : 1, avail : 3, pfn_lo : 20;
};
u32 pte_pfn(struct flags_word f) { return f.pfn_lo; }
struct flags_word pte_mkdirty(struct flags_word f) { f.dirty = 1; f.accessed = 1; return f; }
int pte_write(struct flags_word f) { return f.rw && f.present; }
struct flags_word pte_make(u32 pfn, int rw) { struct flags_word f = {0}; f.pfn_lo = pfn; f.rw = rw; f.present = 1; return f; }

struct node { struct node *left, *right; int key; int height; };
int tree_height(const struct node *n) { return n ? n->height : 0; }
struct node *tree_find(struct node *n, int key) {
  while (n && n->key != key) n = key < n->key ? n->left : n->right;
  return n;
}
struct node *rotate_right(struct node *y) {
  struct node *x = y->left;
  y->left = x->right;
  x->right = y;
  int hl = tree_height(y->left), hr = tree_height(y->right);
  y->height = (hl > hr ? hl : hr) + 1;
  hl = tree_height(x->left); hr = tree_height(x->right);
  x->height = (hl > hr ? hl : hr) + 1;
  return x;
}

struct vec3 { int x, y, z; };
struct vec3 vec_add(struct vec3 a, struct vec3 b) { return (struct vec3){a.x + b.x, a.y + b.y, a.z + b.z}; }
long vec_dot(const struct vec3 *a, const struct vec3 *b) { return (long)a->x * b->x + (long)a->y * b->y + (long)a->z * b->z; }
struct vec3 vec_cross(struct vec3 a, struct vec3 b) {
  return (struct vec3){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

void corpus_structs(void) {
  stat_fill_all();
  big_copy();
  stat_clear(&global_stat);
}
