/* conditions.c — all 16 conditions through setcc, cmovcc and jcc, for every flags combination and after cmp of edge pairs; C comparisons, selects, sbb/adc idioms, 128/256-bit carry chains and overflow builtins. */
#include "alu.h"

/* Condition codes in encoding order 0..15. */
#define FOR_EACH_CC(X)                                                                     \
  X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

/* setcc after loading flags */
#define SET_FN(cc)                                                                         \
  static NOINLINE u64 set_##cc(u64 fin) {                                                  \
    u64 r = GARBAGE_A;                                                                     \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\tset" #cc           \
                     " %b[r]\n\tlea 128(%%rsp), %%rsp"                                     \
                     : [r] "+r"(r)                                                         \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    return r;                                                                              \
  }
/* jcc after loading flags: 1 when taken */
#define JCC_FN(cc)                                                                         \
  static NOINLINE u64 jcc_##cc(u64 fin) {                                                  \
    u64 r;                                                                                 \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\t"                   \
                     "mov $1, %[r]\n\tj" #cc " 1f\n\tmov $0, %[r]\n1:\n\t"                 \
                     "lea 128(%%rsp), %%rsp"                                               \
                     : [r] "=&r"(r)                                                        \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    return r;                                                                              \
  }
/* cmovcc at 16, 32 and 64 bits, register source, and 32 bits from memory */
#define CMOV_FN(cc)                                                                        \
  static NOINLINE void cmov_##cc(u64 fin, u64 *out) {                                      \
    u64 d16 = GARBAGE_A, d32 = GARBAGE_A, d64 = GARBAGE_A, dm = GARBAGE_A;                 \
    u64 s = GARBAGE_B;                                                                     \
    u64 cell = GARBAGE_B;                                                                  \
    u64 *p = &cell;                                                                        \
    __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\t"                   \
                     "cmov" #cc "w %w[s], %w[d16]\n\t"                                     \
                     "cmov" #cc "l %k[s], %k[d32]\n\t"                                     \
                     "cmov" #cc "q %[s], %[d64]\n\t"                                       \
                     "cmov" #cc "l (%[p]), %k[dm]\n\t"                                     \
                     "lea 128(%%rsp), %%rsp"                                               \
                     : [d16] "+r"(d16), [d32] "+r"(d32), [d64] "+r"(d64), [dm] "+r"(dm)    \
                     : [s] "r"(s), [p] "r"(p), [fin] "r"(fin)                              \
                     : "cc", "memory");                                                    \
    out[0] = d16;                                                                          \
    out[1] = d32;                                                                          \
    out[2] = d64;                                                                          \
    out[3] = dm;                                                                           \
  }
FOR_EACH_CC(SET_FN)
FOR_EACH_CC(JCC_FN)
FOR_EACH_CC(CMOV_FN)

typedef u64 (*flag_fn)(u64 fin);
typedef void (*cmov_fn)(u64 fin, u64 *out);
#define SET_PTR(cc) set_##cc,
#define JCC_PTR(cc) jcc_##cc,
#define CMOV_PTR(cc) cmov_##cc,
#define CC_NAME(cc) #cc,
static const flag_fn set_fns[16] = {FOR_EACH_CC(SET_PTR)};
static const flag_fn jcc_fns[16] = {FOR_EACH_CC(JCC_PTR)};
static const cmov_fn cmov_fns[16] = {FOR_EACH_CC(CMOV_PTR)};
static const char *const cc_names[16] = {FOR_EACH_CC(CC_NAME)};

static void all_flag_combinations(void) {
  put_str("# every CF/PF/ZF/SF/OF combination (AF varies): flags set=mask jcc=mask cmov16/32/64/32m=mask\n");
  for (unsigned combo = 0; combo < 32; combo++) {
    u64 fin = 0x002;
    if (combo & 1) fin |= FL_CF;
    if (combo & 2) fin |= FL_PF;
    if (combo & 4) fin |= FL_ZF;
    if (combo & 8) fin |= FL_SF;
    if (combo & 16) fin |= FL_OF;
    if (combo % 3 == 0) fin |= FL_AF;
    u64 set = 0, jcc = 0, c16 = 0, c32 = 0, c64 = 0, cm = 0;
    for (int i = 0; i < 16; i++) {
      u64 r = set_fns[i](fin);
      if ((r & ~0xffull) != (GARBAGE_A & ~0xffull)) put_str("BADUPPER set\n");
      if ((r & 0xff) > 1) put_str("BADSET\n");
      set |= (r & 1) << i;
      jcc |= (jcc_fns[i](fin) & 1) << i;
      u64 out[4];
      cmov_fns[i](fin, out);
      /* 16-bit: low word moved or kept, rest always kept */
      if ((out[0] >> 16) != (GARBAGE_A >> 16)) put_str("BADUPPER cmov16\n");
      if ((out[0] & 0xffff) == (GARBAGE_B & 0xffff)) c16 |= 1ull << i;
      /* 32-bit: the upper half is cleared even when the condition is false */
      if ((out[1] >> 32) != 0) {
        put_str("BADUPPER cmov32 ");
        put_str(cc_names[i]);
        put_nl();
      }
      if ((out[1] & 0xffffffff) == (GARBAGE_B & 0xffffffff)) c32 |= 1ull << i;
      if (out[2] == GARBAGE_B) c64 |= 1ull << i;
      if ((out[3] >> 32) != 0) put_str("BADUPPER cmov32m\n");
      if ((out[3] & 0xffffffff) == (GARBAGE_B & 0xffffffff)) cm |= 1ull << i;
    }
    put_hex(fin, 3);
    put_str(" set=");
    put_hex(set, 4);
    put_str(" jcc=");
    put_hex(jcc, 4);
    put_str(" cmov=");
    put_hex(c16, 4);
    put_char('/');
    put_hex(c32, 4);
    put_char('/');
    put_hex(c64, 4);
    put_char('/');
    put_hex(cm, 4);
    put_nl();
  }
}

/* cmp b, a then all 16 setcc into memory bytes */
#define CMPSET_FN(fname, sfx, m)                                                           \
  static NOINLINE void fname(u64 a, u64 b, u8 *out) {                                      \
    __asm__ volatile("cmp" sfx " %" m "[b], %" m "[a]\n\t"                                 \
                     "seto 0(%[p])\n\tsetno 1(%[p])\n\tsetb 2(%[p])\n\tsetae 3(%[p])\n\t"  \
                     "sete 4(%[p])\n\tsetne 5(%[p])\n\tsetbe 6(%[p])\n\tseta 7(%[p])\n\t"  \
                     "sets 8(%[p])\n\tsetns 9(%[p])\n\tsetp 10(%[p])\n\tsetnp 11(%[p])\n\t" \
                     "setl 12(%[p])\n\tsetge 13(%[p])\n\tsetle 14(%[p])\n\tsetg 15(%[p])"  \
                     :                                                                     \
                     : [a] "r"(a), [b] "r"(b), [p] "r"(out)                                \
                     : "cc", "memory");                                                    \
  }
CMPSET_FN(cmpset8, "b", "b")
CMPSET_FN(cmpset16, "w", "w")
CMPSET_FN(cmpset32, "l", "k")
CMPSET_FN(cmpset64, "q", "q")

static void cmp_pairs(void) {
  put_str("# cmp b,a then setcc for o no b ae e ne be a s ns p np l ge le g (bit i = cc i)\n");
  void (*fns[4])(u64, u64, u8 *) = {cmpset8, cmpset16, cmpset32, cmpset64};
  for (int w = 0; w < 4; w++) {
    int bits = 8 << w;
    const u64 *vals = edge_table(bits);
    for (int i = 0; i < EDGE_N; i++) {
      put_str("cmp");
      put_u64((u64)bits);
      put_sp();
      put_hexw(vals[i], bits);
      put_char(':');
      for (int j = 0; j < EDGE_N; j++) {
        u8 out[16];
        fns[w](with_garbage(vals[i], bits, GARBAGE_A), with_garbage(vals[j], bits, GARBAGE_B), out);
        u64 mask = 0;
        for (int k = 0; k < 16; k++) mask |= (u64)(out[k] & 0xff) << k;
        put_sp();
        put_hex(mask, 4);
      }
      put_nl();
    }
  }
}

/* ---- C-level comparisons, selects and carry idioms ---- */

#define C_CMP(T, U, W)                                                                     \
  static NOINLINE u64 ccmp_##T(T a, T b) {                                                 \
    return (u64)(a < b) | (u64)(a <= b) << 1 | (u64)(a > b) << 2 | (u64)(a >= b) << 3 |    \
           (u64)(a == b) << 4 | (u64)(a != b) << 5;                                        \
  }                                                                                        \
  static NOINLINE T cmin_##T(T a, T b) { return a < b ? a : b; }                           \
  static NOINLINE T cmax_##T(T a, T b) { return a > b ? a : b; }                           \
  static NOINLINE T csel_##T(T a, T b, T x, T y) { return a >= b ? x : y; }                \
  static NOINLINE T cmask_##T(T a, T b) { return (T)(a < b ? (U)-1 : (U)0); }              \
  static NOINLINE T cinc_##T(T a, T b, T x) { return (T)((U)x + (U)(a < b)); }             \
  static NOINLINE T cabs_##T(T a, T zero) { return (T)(a < zero ? (U)0 - (U)a : (U)a); }    \
  static NOINLINE void cline_##T(const char *name, T a, T b) {                             \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)(U)a, W);                                                                \
    put_sp();                                                                              \
    put_hexw((u64)(U)b, W);                                                                \
    put_str(" cmp=");                                                                      \
    put_hex(ccmp_##T(a, b), 2);                                                            \
    put_str(" min=");                                                                      \
    put_hexw((u64)(U)cmin_##T(a, b), W);                                                   \
    put_str(" max=");                                                                      \
    put_hexw((u64)(U)cmax_##T(a, b), W);                                                   \
    put_str(" sel=");                                                                      \
    put_hexw((u64)(U)csel_##T(a, b, (T)0x5a, (T)-7), W);                                   \
    put_str(" mask=");                                                                     \
    put_hexw((u64)(U)cmask_##T(a, b), W);                                                  \
    put_str(" inc=");                                                                      \
    put_hexw((u64)(U)cinc_##T(a, b, b), W);                                                \
    put_str(" abs=");                                                                      \
    put_hexw((u64)(U)cabs_##T(a, (T)0), W);                                                      \
    put_nl();                                                                              \
  }

C_CMP(u8, u8, 8)
C_CMP(s8, u8, 8)
C_CMP(u16, u16, 16)
C_CMP(s16, u16, 16)
C_CMP(u32, u32, 32)
C_CMP(s32, u32, 32)
C_CMP(u64, u64, 64)
C_CMP(s64, u64, 64)

static void c_compares(void) {
  put_str("# C compares: type a b cmp=<,<=,>,>=,==,!= bits min max sel mask inc abs\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j++) {
      cline_u8("u8", (u8)edge8[i], (u8)edge8[j]);
      cline_s8("s8", (s8)edge8[i], (s8)edge8[j]);
      cline_u16("u16", (u16)edge16[i], (u16)edge16[j]);
      cline_s16("s16", (s16)edge16[i], (s16)edge16[j]);
      cline_u32("u32", (u32)edge32[i], (u32)edge32[j]);
      cline_s32("s32", (s32)edge32[i], (s32)edge32[j]);
      cline_u64("u64", edge64[i], edge64[j]);
      cline_s64("s64", (s64)edge64[i], (s64)edge64[j]);
    }
  }
}

/* ---- 128-bit arithmetic: gcc emits add/adc, sub/sbb, mul + imul, cmp/sbb ---- */

typedef unsigned __int128 u128;
typedef __int128 s128;

static NOINLINE u128 add128(u128 a, u128 b) { return a + b; }
static NOINLINE u128 sub128(u128 a, u128 b) { return a - b; }
static NOINLINE u128 mul128(u128 a, u128 b) { return a * b; }
static NOINLINE u128 neg128(u128 a) { return -a; }
static NOINLINE int ult128(u128 a, u128 b) { return a < b; }
static NOINLINE int slt128(s128 a, s128 b) { return a < b; }
static NOINLINE u64 mulhi64(u64 a, u64 b) { return (u64)(((u128)a * b) >> 64); }
static NOINLINE s64 smulhi64(s64 a, s64 b) { return (s64)(((s128)a * b) >> 64); }

static void put128(u128 v) {
  put_hex((u64)(v >> 64), 16);
  put_hex((u64)v, 16);
}

static void wide_arith(void) {
  put_str("# 128-bit: a b add sub mul neg ult slt\n");
  static const u64 parts[] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                              0x0123456789abcdefull};
  for (int i = 0; i < 6; i++) {
    for (int j = 0; j < 6; j++) {
      u128 a = ((u128)parts[i] << 64) | parts[5 - j];
      u128 b = ((u128)parts[j] << 64) | parts[(i + j) % 6];
      put128(a);
      put_sp();
      put128(b);
      put_str(" + ");
      put128(add128(a, b));
      put_str(" - ");
      put128(sub128(a, b));
      put_str(" * ");
      put128(mul128(a, b));
      put_str(" n ");
      put128(neg128(a));
      put_sp();
      put_u64((u64)ult128(a, b));
      put_u64((u64)slt128((s128)a, (s128)b));
      put_nl();
    }
  }
  put_str("# mulhi64 / smulhi64\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j++) {
      put_hex(mulhi64(edge64[i], edge64[j]), 16);
      put_sp();
      put_hex((u64)smulhi64((s64)edge64[i], (s64)edge64[j]), 16);
      put_char(j == EDGE_N - 1 ? '\n' : ' ');
    }
  }
}

/* 256-bit add and sub with explicit adc/sbb chains; the final carry is returned. */
static NOINLINE u64 add256(u64 *d, const u64 *s) {
  u64 c;
  __asm__ volatile("mov 0(%[s]), %[c]\n\tadd %[c], 0(%[d])\n\t"
                   "mov 8(%[s]), %[c]\n\tadc %[c], 8(%[d])\n\t"
                   "mov 16(%[s]), %[c]\n\tadc %[c], 16(%[d])\n\t"
                   "mov 24(%[s]), %[c]\n\tadc %[c], 24(%[d])\n\t"
                   "mov $0, %k[c]\n\tadc $0, %k[c]"
                   : [c] "=&r"(c)
                   : [d] "r"(d), [s] "r"(s)
                   : "cc", "memory");
  return c;
}
static NOINLINE u64 sub256(u64 *d, const u64 *s) {
  u64 c;
  __asm__ volatile("mov 0(%[s]), %[c]\n\tsub %[c], 0(%[d])\n\t"
                   "mov 8(%[s]), %[c]\n\tsbb %[c], 8(%[d])\n\t"
                   "mov 16(%[s]), %[c]\n\tsbb %[c], 16(%[d])\n\t"
                   "mov 24(%[s]), %[c]\n\tsbb %[c], 24(%[d])\n\t"
                   "sbb %[c], %[c]"
                   : [c] "=&r"(c)
                   : [d] "r"(d), [s] "r"(s)
                   : "cc", "memory");
  return c;
}

/* multi-word add in C through the overflow builtin (add + setc / adc) */
static NOINLINE u64 addn(u64 *d, const u64 *a, const u64 *b, int n) {
  u64 carry = 0;
  for (int i = 0; i < n; i++) {
    u64 t;
    u64 c1 = __builtin_add_overflow(a[i], b[i], &t);
    u64 c2 = __builtin_add_overflow(t, carry, &d[i]);
    carry = c1 | c2;
  }
  return carry;
}

static void carry_chains(void) {
  put_str("# 256-bit adc/sbb chains and C multiword add\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j += 3) {
      u64 x[4] = {edge64[i], edge64[j], edge64[(i + j) % EDGE_N], edge64[9 - i]};
      u64 y[4] = {edge64[j], edge64[i], edge64[9 - j], edge64[(i * 3) % EDGE_N]};
      u64 s[4] = {x[0], x[1], x[2], x[3]}, t[4] = {x[0], x[1], x[2], x[3]}, u[4];
      u64 cs = add256(s, y);
      u64 ct = sub256(t, y);
      u64 cu = addn(u, x, y, 4);
      for (int k = 3; k >= 0; k--) put_hex(s[k], 16);
      put_sp();
      put_hex(cs, 1);
      put_sp();
      for (int k = 3; k >= 0; k--) put_hex(t[k], 16);
      put_sp();
      put_hex(ct, 16);
      put_str(cu == cs && u[0] == s[0] && u[1] == s[1] && u[2] == s[2] && u[3] == s[3] ? " same" : " DIFF");
      put_nl();
    }
  }
}

/* ---- overflow builtins: jo/seto/jc/setc, imul/mul overflow ---- */

#define OVF(T, U, W)                                                                       \
  static NOINLINE u64 ovf_##T(T a, T b, T *r) {                                            \
    u64 m = 0;                                                                             \
    m |= (u64)__builtin_add_overflow(a, b, &r[0]);                                         \
    m |= (u64)__builtin_sub_overflow(a, b, &r[1]) << 1;                                    \
    m |= (u64)__builtin_mul_overflow(a, b, &r[2]) << 2;                                    \
    return m;                                                                              \
  }                                                                                        \
  static NOINLINE void ovf_line_##T(const char *name, T a, T b) {                          \
    T r[3];                                                                                \
    u64 m = ovf_##T(a, b, r);                                                              \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)(U)a, W);                                                                \
    put_sp();                                                                              \
    put_hexw((u64)(U)b, W);                                                                \
    put_str(" ovf=");                                                                      \
    put_hex(m, 1);                                                                         \
    for (int k = 0; k < 3; k++) {                                                          \
      put_sp();                                                                            \
      put_hexw((u64)(U)r[k], W);                                                           \
    }                                                                                      \
    put_nl();                                                                              \
  }
OVF(u8, u8, 8)
OVF(s16, u16, 16)
OVF(u32, u32, 32)
OVF(s32, u32, 32)
OVF(u64, u64, 64)
OVF(s64, u64, 64)

static void overflow_builtins(void) {
  put_str("# overflow builtins: type a b ovf=add|sub<<1|mul<<2 sum diff product\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j++) {
      ovf_line_u8("u8", (u8)edge8[i], (u8)edge8[j]);
      ovf_line_s16("s16", (s16)edge16[i], (s16)edge16[j]);
      ovf_line_u32("u32", (u32)edge32[i], (u32)edge32[j]);
      ovf_line_s32("s32", (s32)edge32[i], (s32)edge32[j]);
      ovf_line_u64("u64", edge64[i], edge64[j]);
      ovf_line_s64("s64", (s64)edge64[i], (s64)edge64[j]);
    }
  }
}

void test_main(void) {
  all_flag_combinations();
  cmp_pairs();
  c_compares();
  wide_arith();
  carry_chains();
  overflow_builtins();
}
