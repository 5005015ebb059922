/* divide.c — division edge cases: C division/modulo at every width and by constants, div/idiv at every width with wide dividends (never a #DE case). */
#include "alu.h"

/* ---- C level ---- */

#define C_DIV(T, U, W, MIN, SIGNED)                                                              \
  static NOINLINE T cdiv_##T(T a, T b) { return (T)(a / b); }                              \
  static NOINLINE T cmod_##T(T a, T b) { return (T)(a % b); }                              \
  static NOINLINE void cdivk_##T(T a, T *o) {                                              \
    o[0] = (T)(a / 3);                                                                     \
    o[1] = (T)(a % 3);                                                                     \
    o[2] = (T)(a / 7);                                                                     \
    o[3] = (T)(a % 10);                                                                    \
    o[4] = (T)(a / 10);                                                                    \
    o[5] = (T)(a / 16);                                                                    \
    o[6] = (T)(a % 16);                                                                    \
    o[7] = (T)(a / 1000);                                                                  \
    o[8] = (T)(a / (T)-5);                                                                 \
    o[9] = (T)(a % (T)-5);                                                                 \
  }                                                                                        \
  static NOINLINE void cline_##T(const char *name, const u64 *vals) {                      \
    for (int i = 0; i < EDGE_N; i++) {                                                     \
      T a = (T)vals[i];                                                                    \
      put_str(name);                                                                       \
      put_sp();                                                                            \
      put_hexw((u64)(U)a, W);                                                              \
      put_char(':');                                                                       \
      for (int j = 0; j < EDGE_N; j++) {                                                   \
        T b = (T)vals[j];                                                                  \
        put_sp();                                                                          \
        if (b == 0) {                                                                      \
          put_str("div0");                                                                 \
        } else if (W >= 32 && SIGNED && a == (T)(MIN) && b == (T)-1) {                      \
          put_str("skipDE"); /* would raise #DE: not executed */                           \
        } else {                                                                           \
          put_hexw((u64)(U)cdiv_##T(a, b), W);                                             \
          put_char(',');                                                                   \
          put_hexw((u64)(U)cmod_##T(a, b), W);                                             \
        }                                                                                  \
      }                                                                                    \
      T o[10];                                                                             \
      cdivk_##T(a, o);                                                                     \
      put_str(" k");                                                                       \
      for (int k = 0; k < 10; k++) {                                                       \
        put_sp();                                                                          \
        put_hexw((u64)(U)o[k], W);                                                         \
      }                                                                                    \
      put_nl();                                                                            \
    }                                                                                      \
  }

C_DIV(u8, u8, 8, 0, 0)
C_DIV(s8, u8, 8, -128, 1)
C_DIV(u16, u16, 16, 0, 0)
C_DIV(s16, u16, 16, -32768, 1)
C_DIV(u32, u32, 32, 0, 0)
C_DIV(s32, u32, 32, (-2147483647 - 1), 1)
C_DIV(u64, u64, 64, 0, 0)
C_DIV(s64, u64, 64, (-9223372036854775807ll - 1), 1)

/* ---- div/idiv instructions: dividend hi:lo (ax alone for 8-bit) ---- */

#define GARBAGE_D 0x6e1f5a3cc3a596e1ull

#define DIV_FN(fname, insn, m)                                                             \
  static NOINLINE void fname(u64 lo, u64 hi, u64 d, u64 *q, u64 *r) {                      \
    __asm__ volatile(insn " %" m "[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");          \
    *q = lo;                                                                               \
    *r = hi;                                                                               \
  }
DIV_FN(div8, "divb", "b")
DIV_FN(div16, "divw", "w")
DIV_FN(div32, "divl", "k")
DIV_FN(div64, "divq", "q")
DIV_FN(idiv8, "idivb", "b")
DIV_FN(idiv16, "idivw", "w")
DIV_FN(idiv32, "idivl", "k")
DIV_FN(idiv64, "idivq", "q")
/* memory divisor forms */
#define DIVM_FN(fname, insn)                                                               \
  static NOINLINE void fname(u64 lo, u64 hi, u64 d, u64 *q, u64 *r) {                      \
    u64 cell = d;                                                                          \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(insn " (%[p])" : "+a"(lo), "+d"(hi) : [p] "r"(p) : "cc", "memory");   \
    *q = lo;                                                                               \
    *r = hi;                                                                               \
  }
DIVM_FN(div32m, "divl")
DIVM_FN(idiv64m, "idivq")
DIVM_FN(idiv8m, "idivb")

typedef void (*div_fn)(u64 lo, u64 hi, u64 d, u64 *q, u64 *r);

static s64 sext(u64 v, int bits) { return bits == 64 ? (s64)v : (s64)(v << (64 - bits)) >> (64 - bits); }

/* Does an unsigned (2w / w) division fit?  hi < d. */
static int udiv_fits(u64 hi, u64 d) { return d != 0 && hi < d; }

/* Signed: the dividend is hi:lo as 2w-bit two's complement. For w <= 32 compute in s64. */
static int sdiv_fits_small(u64 lo, u64 hi, u64 d, int bits) {
  s64 dv = sext(d, bits);
  if (dv == 0) return 0;
  s64 n;
  if (bits == 8) n = sext(((hi & 0xff) << 8) | (lo & 0xff), 16);
  else n = sext(((hi & width_mask(bits)) << bits) | (lo & width_mask(bits)), 2 * bits);
  if (n == (-9223372036854775807ll - 1) && dv == -1) return 0;
  s64 q = n / dv;
  s64 lim = (s64)1 << (bits - 1);
  return q >= -lim && q < lim;
}

static void put_div(const char *name, int bits, u64 hi, u64 lo, u64 d, div_fn fn) {
  u64 m = width_mask(bits);
  u64 q, r;
  u64 LO, HI;
  if (bits == 8) {
    /* 8-bit: dividend is ax; ah is hi */
    LO = (GARBAGE_A & ~0xffffull) | ((hi & 0xff) << 8) | (lo & 0xff);
    HI = GARBAGE_D;
  } else {
    LO = with_garbage(lo, bits, GARBAGE_A);
    HI = with_garbage(hi, bits, GARBAGE_D);
  }
  fn(LO, HI, with_garbage(d, bits, GARBAGE_B), &q, &r);
  put_str(name);
  put_sp();
  put_hexw(hi, bits);
  put_char(':');
  put_hexw(lo, bits);
  put_str(" / ");
  put_hexw(d, bits);
  put_str(" -> ");
  if (bits == 8) {
    put_hex(q & 0xff, 2);
    put_sp();
    put_hex((q >> 8) & 0xff, 2);
    if ((q >> 16) != (GARBAGE_A >> 16) || r != GARBAGE_D) put_str(" BADUPPER");
  } else {
    put_hexw(q & m, bits);
    put_sp();
    put_hexw(r & m, bits);
    if (bits == 16 && ((q >> 16) != (GARBAGE_A >> 16) || (r >> 16) != (GARBAGE_D >> 16)))
      put_str(" BADUPPER");
    if (bits == 32 && ((q >> 32) != 0 || (r >> 32) != 0)) put_str(" BADUPPER");
  }
  put_nl();
}

static void hw_divs(void) {
  static const div_fn udivs[4] = {div8, div16, div32, div64};
  static const div_fn sdivs[4] = {idiv8, idiv16, idiv32, idiv64};
  static const char *const unames[4] = {"div8", "div16", "div32", "div64"};
  static const char *const snames[4] = {"idiv8", "idiv16", "idiv32", "idiv64"};
  put_str("# div: name hi:lo / divisor -> quotient remainder (only cases without #DE)\n");
  for (int w = 0; w < 4; w++) {
    int bits = 8 << w;
    const u64 *vals = edge_table(bits);
    for (int i = 0; i < EDGE_N; i++) {
      for (int j = 0; j < EDGE_N; j++) {
        u64 lo = vals[i], d = vals[j];
        if (d == 0) continue;
        /* three high parts: 0, d-1 (largest that fits), d/2 */
        u64 his[3] = {0, d - 1, d / 2};
        for (int k = 0; k < 3; k++) {
          if (k > 0 && his[k] == his[k - 1]) continue;
          if (udiv_fits(his[k], d)) put_div(unames[w], bits, his[k], lo, d, udivs[w]);
        }
      }
    }
  }
  put_str("# idiv: sign-extended dividends and hand-picked wide ones\n");
  for (int w = 0; w < 4; w++) {
    int bits = 8 << w;
    u64 m = width_mask(bits);
    const u64 *vals = edge_table(bits);
    for (int i = 0; i < EDGE_N; i++) {
      for (int j = 0; j < EDGE_N; j++) {
        u64 lo = vals[i], d = vals[j];
        if (d == 0) continue;
        u64 hi = sext(lo, bits) < 0 ? m : 0; /* what cbw/cwd/cdq/cqo would give */
        int ok;
        if (bits == 64) ok = !(lo == 0x8000000000000000ull && d == m);
        else ok = sdiv_fits_small(lo, hi, d, bits);
        if (ok) put_div(snames[w], bits, hi, lo, d, sdivs[w]);
        else {
          put_str(snames[w]);
          put_str(" skipDE ");
          put_hexw(lo, bits);
          put_str(" / ");
          put_hexw(d, bits);
          put_nl();
        }
      }
    }
    /* wide dividends that still fit: hi not a sign extension of lo */
    static const u64 wide_d[] = {3, 7, 100, 0x7f};
    for (int k = 0; k < 4; k++) {
      u64 d = wide_d[k] & m;
      for (int s = 0; s < 2; s++) {
        u64 dv = s ? (0 - d) & m : d; /* positive and negative divisors */
        u64 his[2] = {1, m}; /* small positive and small negative high parts */
        for (int h = 0; h < 2; h++) {
          u64 hi = his[h] & m;
          u64 lo = 0x5a5a5a5a5a5a5a5aull & m;
          int ok;
          if (bits < 64) ok = sdiv_fits_small(lo, hi, dv, bits);
          else {
            /* hi = 1 or -1 and lo < 2^63: |n| < 2^64 + 2^63 and |d| >= 3, so |q| < 2^63 */
            ok = 1;
          }
          if (ok) put_div(snames[w], bits, hi, lo, dv, sdivs[w]);
        }
      }
    }
  }
  put_str("# memory divisors\n");
  put_div("div32m", 32, 0x12345, 0x6789abcd, 0x7fffffff, div32m);
  put_div("div32m", 32, 0, 0xffffffff, 0x10, div32m);
  put_div("idiv64m", 64, ~0ull, 0x8000000000000000ull, 2, idiv64m);
  put_div("idiv64m", 64, 0, 0x7fffffffffffffffull, ~0ull, idiv64m);
  put_div("idiv64m", 64, ~0ull, (u64)-100, 7, idiv64m);
  put_div("idiv8m", 8, 0xff, 0x80, 0x02, idiv8m);
  put_div("idiv8m", 8, 0xff, 0xf9, 0xfd, idiv8m);
}

/* 128/64 unsigned division used as a C helper: quotient and remainder of (hi:lo)/d */
static NOINLINE u64 udiv128(u64 hi, u64 lo, u64 d, u64 *rem) {
  __asm__("divq %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");
  *rem = hi;
  return lo;
}

static void long_division(void) {
  /* divide a 256-bit number by small and large 64-bit divisors, limb by limb */
  put_str("# 256-bit by 64-bit long division\n");
  static const u64 divisors[] = {3, 10, 0xffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                                 0x0123456789abcdefull};
  for (unsigned k = 0; k < ARRAY_LEN(divisors); k++) {
    u64 n[4] = {0xfedcba9876543210ull, 0x0f1e2d3c4b5a6978ull, 0x8000000000000001ull, 0xa5a5a5a5a5a5a5a5ull};
    u64 r = 0;
    for (int i = 3; i >= 0; i--) n[i] = udiv128(r, n[i], divisors[k], &r);
    put_hex(divisors[k], 16);
    put_str(" -> ");
    for (int i = 3; i >= 0; i--) put_hex(n[i], 16);
    put_str(" r ");
    put_hex(r, 16);
    put_nl();
  }
}

void test_main(void) {
  put_str("# C a/b,a%b for each b in the edge table; k: a/3 a%3 a/7 a%10 a/10 a/16 a%16 a/1000 a/-5 a%-5\n");
  cline_u8("u8", edge8);
  cline_s8("s8", edge8);
  cline_u16("u16", edge16);
  cline_s16("s16", edge16);
  cline_u32("u32", edge32);
  cline_s32("s32", edge32);
  cline_u64("u64", edge64);
  cline_s64("s64", edge64);
  hw_divs();
  long_division();
}
