/* bits.c — decoder corpus: kernel-style bit manipulation (bitmaps, find_*_bit, hweight, rotates, byte swaps, fls/ffs, bitfields). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#define BITS_PER_LONG 64
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))

unsigned long bitmap_a[8], bitmap_b[8], bitmap_c[8];

void set_bit_plain(unsigned long nr, unsigned long *addr) { addr[BIT_WORD(nr)] |= BIT_MASK(nr); }
void clear_bit_plain(unsigned long nr, unsigned long *addr) { addr[BIT_WORD(nr)] &= ~BIT_MASK(nr); }
void change_bit_plain(unsigned long nr, unsigned long *addr) { addr[BIT_WORD(nr)] ^= BIT_MASK(nr); }
int test_bit_plain(unsigned long nr, const unsigned long *addr) { return 1UL & (addr[BIT_WORD(nr)] >> (nr & 63)); }

unsigned long find_first_bit(const unsigned long *addr, unsigned long size) {
  for (unsigned long i = 0; i * BITS_PER_LONG < size; i++)
    if (addr[i]) {
      unsigned long r = i * BITS_PER_LONG + __builtin_ctzl(addr[i]);
      return r < size ? r : size;
    }
  return size;
}

unsigned long find_first_zero_bit(const unsigned long *addr, unsigned long size) {
  for (unsigned long i = 0; i * BITS_PER_LONG < size; i++)
    if (~addr[i]) {
      unsigned long r = i * BITS_PER_LONG + __builtin_ctzl(~addr[i]);
      return r < size ? r : size;
    }
  return size;
}

unsigned long find_last_bit(const unsigned long *addr, unsigned long size) {
  unsigned long words = (size + 63) / 64;
  while (words--) {
    unsigned long w = addr[words];
    if (w) return words * 64 + 63 - __builtin_clzl(w);
  }
  return size;
}

unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long offset) {
  if (offset >= size) return size;
  unsigned long tmp = addr[offset / 64] & (~0UL << (offset & 63));
  offset &= ~63UL;
  while (!tmp) {
    offset += 64;
    if (offset >= size) return size;
    tmp = addr[offset / 64];
  }
  offset += __builtin_ctzl(tmp);
  return offset < size ? offset : size;
}

void bitmap_and(unsigned long *dst, const unsigned long *a, const unsigned long *b, unsigned int bits) {
  for (unsigned int k = 0; k < (bits + 63) / 64; k++) dst[k] = a[k] & b[k];
}
void bitmap_or(unsigned long *dst, const unsigned long *a, const unsigned long *b, unsigned int bits) {
  for (unsigned int k = 0; k < (bits + 63) / 64; k++) dst[k] = a[k] | b[k];
}
void bitmap_andnot(unsigned long *dst, const unsigned long *a, const unsigned long *b, unsigned int bits) {
  for (unsigned int k = 0; k < (bits + 63) / 64; k++) dst[k] = a[k] & ~b[k];
}
int bitmap_equal(const unsigned long *a, const unsigned long *b, unsigned int bits) {
  unsigned int k, lim = bits / 64;
  for (k = 0; k < lim; k++)
    if (a[k] != b[k]) return 0;
  if (bits % 64)
    if ((a[k] ^ b[k]) & ((1UL << (bits % 64)) - 1)) return 0;
  return 1;
}
void bitmap_shift_left(unsigned long *dst, const unsigned long *src, unsigned int shift, unsigned int nbits) {
  unsigned int k, lim = (nbits + 63) / 64, off = shift / 64, rem = shift % 64;
  for (k = lim - off - 1; k + 1 > 0 && k < lim; k--) {
    unsigned long upper, lower = src[k];
    upper = (rem && k > 0) ? src[k - 1] >> (64 - rem) : 0;
    dst[k + off] = (lower << rem) | upper;
    if (!k) break;
  }
}

/* software hweight (what the kernel does without POPCNT) */
unsigned int hweight32(u32 w) {
  u32 res = w - ((w >> 1) & 0x55555555);
  res = (res & 0x33333333) + ((res >> 2) & 0x33333333);
  res = (res + (res >> 4)) & 0x0F0F0F0F;
  res = res + (res >> 8);
  return (res + (res >> 16)) & 0x000000FF;
}
unsigned long hweight64(u64 w) {
  u64 res = w - ((w >> 1) & 0x5555555555555555ul);
  res = (res & 0x3333333333333333ul) + ((res >> 2) & 0x3333333333333333ul);
  res = (res + (res >> 4)) & 0x0F0F0F0F0F0F0F0Ful;
  return (res * 0x0101010101010101ul) >> 56;
}
unsigned int hweight16(u16 w) { return hweight32(w); }
unsigned int hweight8(u8 w) { return hweight32(w); }

int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
int ffs(int x) { return __builtin_ffs(x); }
int ffsll(long long x) { return __builtin_ffsll(x); }
unsigned long __ffs(unsigned long w) { return __builtin_ctzl(w); }
unsigned long __fls(unsigned long w) { return 63 - __builtin_clzl(w); }
int ilog2_u64(u64 n) { return fls64(n) - 1; }
u64 roundup_pow_of_two(u64 n) { return 1ULL << fls64(n - 1); }
u64 rounddown_pow_of_two(u64 n) { return 1ULL << (fls64(n) - 1); }
int is_power_of_2(unsigned long n) { return n != 0 && ((n & (n - 1)) == 0); }
int parity32(u32 x) { return __builtin_parity(x); }
int parity8(u8 x) { return __builtin_parity(x); }

u32 rol32(u32 w, unsigned int s) { return (w << (s & 31)) | (w >> ((-s) & 31)); }
u32 ror32(u32 w, unsigned int s) { return (w >> (s & 31)) | (w << ((-s) & 31)); }
u64 rol64(u64 w, unsigned int s) { return (w << (s & 63)) | (w >> ((-s) & 63)); }
u64 ror64(u64 w, unsigned int s) { return (w >> (s & 63)) | (w << ((-s) & 63)); }
u16 rol16(u16 w, unsigned int s) { return (u16)((w << (s & 15)) | (w >> ((-s) & 15))); }
u16 ror16(u16 w, unsigned int s) { return (u16)((w >> (s & 15)) | (w << ((-s) & 15))); }
u8 rol8(u8 w, unsigned int s) { return (u8)((w << (s & 7)) | (w >> ((-s) & 7))); }
u8 ror8(u8 w, unsigned int s) { return (u8)((w >> (s & 7)) | (w << ((-s) & 7))); }
u32 rol32_13(u32 w) { return rol32(w, 13); }
u64 ror64_7(u64 w) { return ror64(w, 7); }
u16 rol16_3(u16 w) { return rol16(w, 3); }
u8 rol8_1(u8 w) { return rol8(w, 1); }

u16 swab16(u16 x) { return __builtin_bswap16(x); }
u32 swab32(u32 x) { return __builtin_bswap32(x); }
u64 swab64(u64 x) { return __builtin_bswap64(x); }
void swab32s(u32 *p) { *p = __builtin_bswap32(*p); }
u32 be32_to_cpup(const u32 *p) { return __builtin_bswap32(*p); }
u64 get_unaligned_be64(const u8 *p) {
  return ((u64)p[0] << 56) | ((u64)p[1] << 48) | ((u64)p[2] << 40) | ((u64)p[3] << 32) | ((u64)p[4] << 24) |
         ((u64)p[5] << 16) | ((u64)p[6] << 8) | p[7];
}
void put_unaligned_le32(u32 v, u8 *p) {
  p[0] = (u8)v; p[1] = (u8)(v >> 8); p[2] = (u8)(v >> 16); p[3] = (u8)(v >> 24);
}

s32 sign_extend32(u32 value, int index) {
  u8 shift = 31 - index;
  return (s32)(value << shift) >> shift;
}
s64 sign_extend64(u64 value, int index) {
  u8 shift = 63 - index;
  return (s64)(value << shift) >> shift;
}
u64 genmask_ull(int h, int l) { return (~0ULL << l) & (~0ULL >> (63 - h)); }
u32 field_get(u32 mask, u32 reg) { return (reg & mask) >> __builtin_ctz(mask); }
u32 field_prep(u32 mask, u32 val) { return (val << __builtin_ctz(mask)) & mask; }
u32 reverse_bits32(u32 x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}

struct page_flags {
  unsigned int locked : 1;
  unsigned int dirty : 1;
  unsigned int lru : 1;
  unsigned int order : 4;
  unsigned int zone : 3;
  unsigned int node : 10;
  signed int refs : 12;
};
struct page_flags pflags[16];
int pf_get_order(const struct page_flags *p) { return p->order; }
void pf_set_order(struct page_flags *p, int o) { p->order = o; }
int pf_get_refs(const struct page_flags *p) { return p->refs; }
void pf_inc_refs(struct page_flags *p) { p->refs++; }
void pf_mark_dirty(struct page_flags *p) { p->dirty = 1; p->lru = 0; }
int pf_count_dirty(void) {
  int n = 0;
  for (int i = 0; i < 16; i++) n += pflags[i].dirty;
  return n;
}

s8 sat_add8(s8 a, s8 b) {
  int r = a + b;
  return r > 127 ? 127 : r < -128 ? -128 : (s8)r;
}
u16 sat_sub16(u16 a, u16 b) { return a > b ? a - b : 0; }
int add_overflows(s32 a, s32 b, s32 *res) { return __builtin_add_overflow(a, b, res); }
int mul_overflows(u64 a, u64 b, u64 *res) { return __builtin_mul_overflow(a, b, res); }
int smul_overflows(s64 a, s64 b, s64 *res) { return __builtin_mul_overflow(a, b, res); }
int sub_overflows16(s16 a, s16 b, s16 *res) { return __builtin_sub_overflow(a, b, res); }
u64 abs64(s64 x) { return x < 0 ? -x : x; }
int sgn(s64 x) { return (x > 0) - (x < 0); }
u32 min3(u32 a, u32 b, u32 c) { u32 m = a < b ? a : b; return m < c ? m : c; }
s16 max_s16(s16 a, s16 b) { return a > b ? a : b; }
u8 max_u8(u8 a, u8 b) { return a > b ? a : b; }
s64 clamp64(s64 v, s64 lo, s64 hi) { return v < lo ? lo : v > hi ? hi : v; }
u64 align_up(u64 x, u64 a) { return (x + a - 1) & ~(a - 1); }
u64 div_round_up(u64 n, u64 d) { return (n + d - 1) / d; }
u32 mult_frac(u32 x, u32 n, u32 d) { return (x / d) * n + ((x % d) * n) / d; }

void corpus_bits(void) {
  set_bit_plain(3, bitmap_a);
  change_bit_plain(70, bitmap_b);
  bitmap_and(bitmap_c, bitmap_a, bitmap_b, 512);
}
