/* math.c — decoder corpus: 128-bit math, mul/div at every width, division by constants, 8/16-bit arithmetic, overflow checks. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef unsigned __int128 u128;
typedef __int128 s128;

u128 mul_u64_u64(u64 a, u64 b) { return (u128)a * b; }
s128 mul_s64_s64(s64 a, s64 b) { return (s128)a * b; }
u64 mul_u64_u64_shr(u64 a, u64 b, unsigned int shift) { return (u64)(((u128)a * b) >> shift); }
u64 mul_u64_u32_shr(u64 a, u32 mul, unsigned int shift) { return (u64)(((u128)a * mul) >> shift); }
u64 mulhi(u64 a, u64 b) { return (u64)(((u128)a * b) >> 64); }
u128 add128(u128 a, u128 b) { return a + b; }
u128 sub128(u128 a, u128 b) { return a - b; }
u128 mul128(u128 a, u128 b) { return a * b; }
u128 shl128(u128 a, unsigned int s) { return a << (s & 127); }
u128 shr128(u128 a, unsigned int s) { return a >> (s & 127); }
s128 sar128(s128 a, unsigned int s) { return a >> (s & 127); }
u128 shl128_17(u128 a) { return a << 17; }
u128 shr128_33(u128 a) { return a >> 33; }
int cmp128(u128 a, u128 b) { return (a > b) - (a < b); }
int scmp128(s128 a, s128 b) { return (a > b) - (a < b); }
s128 neg128(s128 a) { return -a; }
u128 not128(u128 a) { return ~a; }
u64 fold128(u128 a) { return (u64)a ^ (u64)(a >> 64); }
u128 fnv128(const u8 *p, int n) {
  u128 h = ((u128)0x6c62272e07bb0142ull << 64) | 0x62b821756295c58dull;
  u128 prime = ((u128)0x0000000001000000ull << 64) | 0x000000000000013bull;
  for (int i = 0; i < n; i++) { h ^= p[i]; h *= prime; }
  return h;
}

u64 div_u64(u64 a, u64 b) { return a / b; }
s64 div_s64(s64 a, s64 b) { return a / b; }
u64 mod_u64(u64 a, u64 b) { return a % b; }
s64 mod_s64(s64 a, s64 b) { return a % b; }
u32 div_u32(u32 a, u32 b) { return a / b; }
s32 div_s32(s32 a, s32 b) { return a / b; }
u16 div_u16(u16 a, u16 b) { return a / b; }
s16 div_s16(s16 a, s16 b) { return a / b; }
u8 div_u8(u8 a, u8 b) { return a / b; }
s8 div_s8(s8 a, s8 b) { return a / b; }
u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder) { *remainder = dividend % divisor; return dividend / divisor; }
s64 div_s64_rem(s64 dividend, s32 divisor, s32 *remainder) { *remainder = dividend % divisor; return dividend / divisor; }
u64 div_by_10(u64 x) { return x / 10; }
u64 div_by_1000(u64 x) { return x / 1000; }
s64 sdiv_by_7(s64 x) { return x / 7; }
s32 sdiv_by_3(s32 x) { return x / 3; }
u32 udiv_by_5(u32 x) { return x / 5; }
s64 sdiv_by_16(s64 x) { return x / 16; }
s32 smod_by_8(s32 x) { return x % 8; }
u32 umod_by_1000(u32 x) { return x % 1000; }
u16 u16_div_by_3(u16 x) { return x / 3; }
s8 s8_div_by_3(s8 x) { return x / 3; }
u64 ns_to_us(u64 ns) { return ns / 1000; }
u64 jiffies_to_msecs(u64 j) { return j * (1000 / 250); }
u64 msecs_to_jiffies(u32 m) { return (m + 3) / 4; }

u64 mul_u32(u32 a, u32 b) { return (u64)a * b; }
s64 mul_s32(s32 a, s32 b) { return (s64)a * b; }
u32 mul_u16(u16 a, u16 b) { return (u32)a * b; }
u16 mul16_trunc(u16 a, u16 b) { return a * b; }
u8 mul8_trunc(u8 a, u8 b) { return a * b; }
s16 smul16(s16 a, s16 b) { return a * b; }
u64 mul_by_const(u64 a) { return a * 1000003; }
u64 mul_by_9(u64 a) { return a * 9; }
u64 mul_by_28(u64 a) { return a * 28; }
s32 mul_by_neg3(s32 a) { return a * -3; }
u32 mul_by_255(u32 a) { return a * 255; }
u16 add16(u16 a, u16 b) { return a + b; }
u16 sub16(u16 a, u16 b) { return a - b; }
s16 neg16(s16 a) { return -a; }
u16 and16_mem(const u16 *p, u16 m) { return *p & m; }
void add16_mem(u16 *p, u16 v) { *p += v; }
void inc16_mem(u16 *p) { (*p)++; }
void dec8_mem(u8 *p) { (*p)--; }
void or8_mem(u8 *p) { *p |= 0x80; }
void shl16_mem(u16 *p) { *p <<= 3; }
void sar16_mem(s16 *p, int n) { *p >>= n; }
void not32_mem(u32 *p) { *p = ~*p; }
void neg64_mem(s64 *p) { *p = -*p; }
u8 add8(u8 a, u8 b) { return a + b; }
s8 sar8(s8 a, int n) { return a >> n; }
u8 shr8(u8 a, int n) { return a >> n; }
u16 shr16(u16 a) { return a >> 5; }
s16 sar16(s16 a) { return a >> 3; }
u32 shl_var(u32 a, u32 n) { return a << n; }
s64 sar_var(s64 a, u32 n) { return a >> n; }
u64 shr_var(u64 a, u32 n) { return a >> n; }
int cmp16(u16 a, u16 b) { return a < b; }
int scmp8(s8 a, s8 b) { return a < b; }
int cmp8_imm(u8 a) { return a == 0x7f; }
int cmp16_imm(u16 a) { return a > 1000; }
int test16(u16 a) { return (a & 0x100) != 0; }

u64 isqrt(u64 x) {
  u64 op = x, res = 0, one = 1ull << 62;
  while (one > op) one >>= 2;
  while (one) {
    if (op >= res + one) { op -= res + one; res = (res >> 1) + one; }
    else res >>= 1;
    one >>= 2;
  }
  return res;
}
u64 gcd(u64 a, u64 b) {
  while (b) { u64 t = a % b; a = b; b = t; }
  return a;
}
u64 lcm(u64 a, u64 b) { return a / gcd(a, b) * b; }
u64 int_pow(u64 base, unsigned int exp) {
  u64 result = 1;
  while (exp) {
    if (exp & 1) result *= base;
    exp >>= 1;
    base *= base;
  }
  return result;
}
u32 reciprocal_value(u32 d) {
  u64 m = ((1ULL << 32) * ((1ULL << (32 - __builtin_clz(d - 1 | 1))) - d));
  return (u32)(m / d + 1);
}
u64 mul_add_carry(u64 a, u64 b, u64 c, u64 *carry) {
  u128 r = (u128)a * b + c;
  *carry = (u64)(r >> 64);
  return (u64)r;
}
void bignum_add(u64 *r, const u64 *a, const u64 *b, int n) {
  unsigned char c = 0;
  for (int i = 0; i < n; i++) {
    u64 s = a[i] + c;
    c = s < c;
    r[i] = s + b[i];
    c |= r[i] < s;
  }
}
u64 adc_chain(u64 a, u64 b, u64 c, u64 d) {
  unsigned long long r1, r2;
  unsigned char cf = __builtin_add_overflow(a, b, &r1);
  __builtin_add_overflow(c + cf, d, &r2);
  return r1 ^ r2;
}
u32 crc32_le_bitwise(u32 crc, const u8 *p, unsigned long len) {
  while (len--) {
    crc ^= *p++;
    for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (crc & 1 ? 0xedb88320 : 0);
  }
  return crc;
}
u64 xorshift64(u64 *s) { u64 x = *s; x ^= x << 13; x ^= x >> 7; x ^= x << 17; return *s = x; }
u32 prandom_u32_state(u32 *s) {
  s[0] = ((s[0] & 4294967294U) << 18) ^ (((s[0] << 6) ^ s[0]) >> 13);
  s[1] = ((s[1] & 4294967288U) << 2) ^ (((s[1] << 2) ^ s[1]) >> 27);
  return s[0] ^ s[1];
}
u64 hash_64(u64 val, unsigned int bits) { return val * 0x61C8864680B583EBull >> (64 - bits); }
u32 hash_32(u32 val, unsigned int bits) { return val * 0x61C88647 >> (32 - bits); }

void corpus_math(void) {
  static u64 r[4], a[4] = {1, 2, 3, 4}, b[4] = {~0ull, 5, 6, 7};
  bignum_add(r, a, b, 4);
}
