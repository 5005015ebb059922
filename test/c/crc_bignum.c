/* crc_bignum.c — program-style code: CRC32 (bitwise and table), Adler-32, a sieve of Eratosthenes, modular exponentiation, and bignum multiply/factorial/decimal conversion. */
#include "harness.h"

static u32 crc_table[256];

static NOINLINE void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static NOINLINE u32 crc32_table(const u8 *p, u64 n) {
  u32 c = 0xffffffffu;
  for (u64 i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}
static NOINLINE u32 crc32_bitwise(const u8 *p, u64 n) {
  u32 c = 0xffffffffu;
  for (u64 i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return ~c;
}
static NOINLINE u32 adler32(const u8 *p, u64 n) {
  u32 a = 1, b = 0;
  for (u64 i = 0; i < n; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

#define SIEVE_N 200000
static u8 composite[SIEVE_N + 1];
static NOINLINE u32 sieve(void) {
  u32 count = 0;
  for (u32 i = 2; i <= SIEVE_N; i++) {
    if (composite[i]) continue;
    count++;
    for (u64 j = (u64)i * i; j <= SIEVE_N; j += i) composite[j] = 1;
  }
  return count;
}

static NOINLINE u64 mulmod32(u64 a, u64 b, u32 m) { return a * b % m; }
static NOINLINE u64 powmod(u64 b, u64 e, u32 m) {
  u64 r = 1 % m;
  b %= m;
  while (e) {
    if (e & 1) r = mulmod32(r, b, m);
    b = mulmod32(b, b, m);
    e >>= 1;
  }
  return r;
}
static NOINLINE int is_probable_prime(u32 n) {
  if (n < 2) return 0;
  static const u32 bases[] = {2, 3, 5, 7};
  u32 d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    s++;
  }
  for (int i = 0; i < 4; i++) {
    u32 a = bases[i];
    if (a % n == 0) continue;
    u64 x = powmod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    int comp = 1;
    for (int r = 1; r < s; r++) {
      x = mulmod32(x, x, n);
      if (x == n - 1) {
        comp = 0;
        break;
      }
    }
    if (comp) return 0;
  }
  return 1;
}

/* ---- bignums: little-endian 32-bit limbs ---- */
#define LIMBS 120
struct big {
  u32 d[LIMBS];
  int n;
};
static NOINLINE void big_set(struct big *a, u64 v) {
  a->n = 0;
  while (v) {
    a->d[a->n++] = (u32)v;
    v >>= 32;
  }
}
static NOINLINE void big_mul_small(struct big *a, u32 m) {
  u64 carry = 0;
  for (int i = 0; i < a->n; i++) {
    u64 t = (u64)a->d[i] * m + carry;
    a->d[i] = (u32)t;
    carry = t >> 32;
  }
  if (carry) a->d[a->n++] = (u32)carry;
}
static NOINLINE void big_mul(struct big *r, const struct big *a, const struct big *b) {
  u32 t[LIMBS * 2];
  int n = a->n + b->n;
  for (int i = 0; i < n; i++) t[i] = 0;
  for (int i = 0; i < a->n; i++) {
    u64 carry = 0;
    for (int j = 0; j < b->n; j++) {
      u64 x = (u64)a->d[i] * b->d[j] + t[i + j] + carry;
      t[i + j] = (u32)x;
      carry = x >> 32;
    }
    t[i + b->n] = (u32)carry;
  }
  while (n > 0 && t[n - 1] == 0) n--;
  for (int i = 0; i < n && i < LIMBS; i++) r->d[i] = t[i];
  r->n = n < LIMBS ? n : LIMBS;
}
/* divide by a small number, return the remainder */
static NOINLINE u32 big_div_small(struct big *a, u32 m) {
  u64 rem = 0;
  for (int i = a->n - 1; i >= 0; i--) {
    u64 cur = (rem << 32) | a->d[i];
    a->d[i] = (u32)(cur / m);
    rem = cur % m;
  }
  while (a->n > 0 && a->d[a->n - 1] == 0) a->n--;
  return (u32)rem;
}
static NOINLINE void big_print(const struct big *x) {
  static struct big t;
  static u32 chunks[LIMBS * 2];
  t = *x;
  int nc = 0;
  while (t.n > 0) chunks[nc++] = big_div_small(&t, 1000000000u);
  if (nc == 0) {
    put_char('0');
    return;
  }
  put_u64(chunks[nc - 1]);
  for (int i = nc - 2; i >= 0; i--) {
    char buf[9];
    u32 c = chunks[i];
    for (int k = 8; k >= 0; k--) {
      buf[k] = (char)('0' + c % 10);
      c /= 10;
    }
    for (int k = 0; k < 9; k++) put_char(buf[k]);
  }
}

/* 64-bit limbs with 128-bit products (mul / adc) */
typedef unsigned __int128 u128;
static NOINLINE void mul_256x256(u64 *r, const u64 *a, const u64 *b) {
  for (int i = 0; i < 8; i++) r[i] = 0;
  for (int i = 0; i < 4; i++) {
    u64 carry = 0;
    for (int j = 0; j < 4; j++) {
      u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
      r[i + j] = (u64)t;
      carry = (u64)(t >> 64);
    }
    r[i + 4] = carry;
  }
}

void test_main(void) {
  static u8 data[5000];
  u32 x = 1;
  for (int i = 0; i < 5000; i++) {
    x = x * 1664525u + 1013904223u;
    data[i] = (u8)(x >> 24);
  }
  crc_init();
  put_str("crc");
  static const u64 lens[] = {0, 1, 9, 100, 4999, 5000};
  for (unsigned i = 0; i < ARRAY_LEN(lens); i++) {
    put_sp();
    put_hex(crc32_table(data, lens[i]), 8);
    put_char('/');
    put_hex(crc32_bitwise(data, lens[i]), 8);
    put_char('/');
    put_hex(adler32(data, lens[i]), 8);
  }
  put_nl();
  put_str("crc check ");
  put_hex(crc32_table((const u8 *)"123456789", 9), 8);
  put_nl();

  put_str("primes ");
  put_u64(sieve());
  u32 last = 0;
  for (u32 i = SIEVE_N; i > 0; i--)
    if (!composite[i]) {
      last = i;
      break;
    }
  put_sp();
  put_u64(last);
  put_nl();
  put_str("mr");
  u32 agree = 0;
  for (u32 n = 2; n < 20000; n++) agree += (u32)(is_probable_prime(n) == !composite[n]);
  put_sp();
  put_u64(agree);
  static const u32 big_primes[] = {2147483647u, 4294967291u, 4294967295u, 1000000007u, 3215031751u};
  for (unsigned i = 0; i < ARRAY_LEN(big_primes); i++) {
    put_sp();
    put_u64((u64)is_probable_prime(big_primes[i]));
  }
  put_sp();
  put_u64(powmod(3, 1000000, 1000000007u));
  put_nl();

  static struct big f, p, q;
  big_set(&f, 1);
  for (u32 i = 2; i <= 100; i++) big_mul_small(&f, i);
  put_str("100! = ");
  big_print(&f);
  put_nl();
  big_set(&p, 0xfedcba9876543210ull);
  for (int i = 0; i < 4; i++) {
    big_mul(&q, &p, &p);
    p = q;
  }
  put_str("x^16 = ");
  big_print(&p);
  put_nl();
  u64 a[4] = {0xffffffffffffffffull, 0x0123456789abcdefull, 0x8000000000000000ull, 0x7fffffffffffffffull};
  u64 b[4] = {0xfedcba9876543210ull, 0xffffffffffffffffull, 0x1ull, 0xdeadbeefcafef00dull};
  u64 r[8];
  mul_256x256(r, a, b);
  put_str("mul256 ");
  for (int i = 7; i >= 0; i--) put_hex(r[i], 16);
  put_nl();
}
