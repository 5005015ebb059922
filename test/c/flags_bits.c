/* flags_bits.c — bt/bts/btr/btc (register, immediate and bit-string memory forms), bsf/bsr, tzcnt/lzcnt/popcnt: results and defined flags. */
#include "alu.h"

/* Defined flags (SDM):
 *  bt/bts/btr/btc: CF = the selected bit, ZF unaffected, OF SF AF PF undefined -> CF|ZF
 *  bsf/bsr: ZF = (source == 0), all others undefined -> ZF; the destination is
 *           undefined when the source is 0, so it is not printed then
 *  tzcnt/lzcnt: CF = (source == 0), ZF = (result == 0), OF SF AF PF undefined -> CF|ZF
 *  popcnt: OF SF AF CF PF cleared, ZF = (source == 0) -> all six */
#define BT_MASK (FL_CF | FL_ZF)
#define BSF_MASK FL_ZF
#define CNT_MASK (FL_CF | FL_ZF)
#define POPCNT_MASK FL_ALL

/* ---- bt family, register destination, register offset (offset taken mod width) ---- */
#define BT_RR_ALL(op)                                                                      \
  RR_FN(op##_16, #op "w", "w") RR_FN(op##_32, #op "l", "k") RR_FN(op##_64, #op "q", "q")
BT_RR_ALL(bt)
BT_RR_ALL(bts)
BT_RR_ALL(btr)
BT_RR_ALL(btc)

/* ---- bt family, register destination, immediate offset ---- */
#define BT_I_W(op, w, sfx, m, c0, c1, c2, c3)                                              \
  RI_FN(op##_i##w##_0, #op sfx, m, #c0)                                                    \
  RI_FN(op##_i##w##_1, #op sfx, m, #c1)                                                    \
  RI_FN(op##_i##w##_2, #op sfx, m, #c2) RI_FN(op##_i##w##_3, #op sfx, m, #c3)
#define BT_I_W_(...) BT_I_W(__VA_ARGS__)
#define BTI16 0, 5, 15, 20
#define BTI32 0, 7, 31, 40
#define BTI64 0, 33, 63, 70
#define BT_I_ALL(op)                                                                       \
  BT_I_W_(op, 16, "w", "w", BTI16) BT_I_W_(op, 32, "l", "k", BTI32) BT_I_W_(op, 64, "q", "q", BTI64)
BT_I_ALL(bt)
BT_I_ALL(bts)
BT_I_ALL(btr)
BT_I_ALL(btc)

static const u64 bit_offsets[] = {0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 65, 100, 127, 255};

typedef u64 (*bt_fn)(u64 a, u64 b, u64 fin, u64 *fout);
struct bt_case {
  const char *name;
  bt_fn fn;
  u8 bits;
  u8 keep; /* bt writes nothing */
  s16 imm; /* -1: register offset over bit_offsets */
};

#define BT_RR_CASES(op, keep)                                                              \
  {#op "16", op##_16, 16, keep, -1}, {#op "32", op##_32, 32, keep, -1},                    \
      {#op "64", op##_64, 64, keep, -1}
#define BT_I_CASES_W(op, keep, w, c0, c1, c2, c3)                                          \
  {#op #w "i", op##_i##w##_0, w, keep, c0}, {#op #w "i", op##_i##w##_1, w, keep, c1},      \
      {#op #w "i", op##_i##w##_2, w, keep, c2}, {#op #w "i", op##_i##w##_3, w, keep, c3}
#define BT_I_CASES_W_(...) BT_I_CASES_W(__VA_ARGS__)
#define BT_I_CASES(op, keep)                                                               \
  BT_I_CASES_W_(op, keep, 16, BTI16), BT_I_CASES_W_(op, keep, 32, BTI32),                  \
      BT_I_CASES_W_(op, keep, 64, BTI64)

static const struct bt_case bt_cases[] = {
    BT_RR_CASES(bt, 1), BT_RR_CASES(bts, 0), BT_RR_CASES(btr, 0), BT_RR_CASES(btc, 0),
    BT_I_CASES(bt, 1),  BT_I_CASES(bts, 0),  BT_I_CASES(btr, 0),  BT_I_CASES(btc, 0),
};

static void run_bt(const struct bt_case *c) {
  const u64 *vals = edge_table(c->bits);
  int no = c->imm < 0 ? (int)ARRAY_LEN(bit_offsets) : 1;
  int step = c->imm < 0 ? 1 : 2; /* immediate forms: every other value */
  u64 m = width_mask(c->bits);
  for (int i = 0; i < EDGE_N; i += step) {
    for (int j = 0; j < no; j++) {
      u64 off = c->imm < 0 ? bit_offsets[j] : (u64)c->imm;
      u64 fin = ((i + j) & 1) ? FL_IN1 : FL_IN0;
      u64 A = with_garbage(vals[i], c->bits, GARBAGE_A);
      u64 f = 0;
      u64 r = c->fn(A, off, fin, &f);
      put_str(c->name);
      put_sp();
      put_hex(fin, 3);
      put_sp();
      put_hexw(vals[i], c->bits);
      put_str(" bit=");
      put_u64(off);
      put_str(" -> ");
      put_hexw(r & m, c->bits);
      put_sp();
      put_hex(f & BT_MASK, 3);
      put_nl();
      check_upper(c->name, c->bits, c->keep, A, r);
    }
  }
}

/* ---- bt family on memory: register offset addresses a bit string (signed offset,
 *      may reach before the base); immediate offset is taken mod the operand width ---- */
static u8 bitbuf[192];
#define BITBASE 64

#define BTM_FN(fname, insn, m, T)                                                          \
  static NOINLINE u64 fname(u8 *base, s64 off, u64 fin) {                                  \
    u64 f;                                                                                 \
    T o = (T)off;                                                                          \
    __asm__ volatile(ASM_PRE insn " %" m "[o], (%[p])" ASM_POST                            \
                     : [fout] "=&r"(f)                                                     \
                     : [o] "r"(o), [p] "r"(base), [fin] "r"(fin)                           \
                     : "cc", "memory");                                                    \
    return f;                                                                              \
  }
#define BTM_ALL(op)                                                                        \
  BTM_FN(op##_m16, #op "w", "w", s16) BTM_FN(op##_m32, #op "l", "k", s32) BTM_FN(op##_m64, #op "q", "q", s64)
BTM_ALL(bt)
BTM_ALL(bts)
BTM_ALL(btr)
BTM_ALL(btc)

#define BTMI_FN(fname, insn, imm)                                                          \
  static NOINLINE u64 fname(u8 *base, s64 off, u64 fin) {                                  \
    u64 f;                                                                                 \
    (void)off;                                                                             \
    __asm__ volatile(ASM_PRE insn " $" #imm ", (%[p])" ASM_POST                            \
                     : [fout] "=&r"(f)                                                     \
                     : [p] "r"(base), [fin] "r"(fin)                                       \
                     : "cc", "memory");                                                    \
    return f;                                                                              \
  }
BTMI_FN(bt_mi32, "btl", 35)
BTMI_FN(bts_mi16, "btsw", 19)
BTMI_FN(btr_mi64, "btrq", 70)
BTMI_FN(btc_mi32, "btcl", 9)

typedef u64 (*btm_fn)(u8 *base, s64 off, u64 fin);
struct btm_case {
  const char *name;
  btm_fn fn;
  s16 imm; /* -1: register offsets over the table */
};
static const struct btm_case btm_cases[] = {
    {"bt16m", bt_m16, -1},   {"bt32m", bt_m32, -1},   {"bt64m", bt_m64, -1},
    {"bts16m", bts_m16, -1}, {"bts32m", bts_m32, -1}, {"bts64m", bts_m64, -1},
    {"btr16m", btr_m16, -1}, {"btr32m", btr_m32, -1}, {"btr64m", btr_m64, -1},
    {"btc16m", btc_m16, -1}, {"btc32m", btc_m32, -1}, {"btc64m", btc_m64, -1},
    {"bt32mi", bt_mi32, 35}, {"bts16mi", bts_mi16, 19}, {"btr64mi", btr_mi64, 70},
    {"btc32mi", btc_mi32, 9},
};
static const s64 mem_offsets[] = {-129, -64, -9, -1, 0, 1, 15, 16, 31, 32, 63, 64, 100, 200, 511};

static void fill_bitbuf(void) {
  for (unsigned i = 0; i < sizeof bitbuf; i++) bitbuf[i] = (u8)(i * 37 + 11);
}

static void run_btm(const struct btm_case *c) {
  int no = c->imm < 0 ? (int)ARRAY_LEN(mem_offsets) : 1;
  for (int j = 0; j < no; j++) {
    s64 off = c->imm < 0 ? mem_offsets[j] : c->imm;
    u64 fin = (j & 1) ? FL_IN1 : FL_IN0;
    fill_bitbuf();
    u64 f = c->fn(bitbuf + BITBASE, off, fin);
    put_str(c->name);
    put_sp();
    put_hex(fin, 3);
    put_str(" bit=");
    put_i64(off);
    put_str(" -> ");
    put_hex(f & BT_MASK, 3);
    /* print every byte that differs from the fill pattern */
    for (unsigned i = 0; i < sizeof bitbuf; i++) {
      if (bitbuf[i] != (u8)(i * 37 + 11)) {
        put_str(" [");
        put_i64((s64)i - BITBASE);
        put_str("]=");
        put_hex(bitbuf[i], 2);
      }
    }
    put_nl();
  }
}

/* ---- bit scans and counts ---- */

static const u64 scan16[] = {0, 1, 2, 3, 0x10, 0x80, 0x100, 0x1000, 0x4000, 0x7fff, 0x8000, 0x8001, 0xa5a0, 0xffff};
static const u64 scan32[] = {0, 1, 2, 3, 0x80, 0x10000, 0x20000, 0x01000000, 0x40000000,
                             0x7fffffff, 0x80000000, 0x80000001, 0x0ff0f000, 0xffffffff};
static const u64 scan64[] = {0,
                             1,
                             2,
                             3,
                             0x80000000ull,
                             0x100000000ull,
                             0x0000800000000000ull,
                             0x4000000000000000ull,
                             0x7fffffffffffffffull,
                             0x8000000000000000ull,
                             0x8000000000000001ull,
                             0x00f0000000000000ull,
                             0x0123456789abcdefull,
                             0xffffffffffffffffull};
#define SCAN_N 14

/* op %src, %dst; dst starts as garbage */
#define SCAN_FN(fname, insn, m)                                                            \
  static NOINLINE u64 fname(u64 src, u64 fin, u64 *fout) {                                 \
    u64 f;                                                                                 \
    u64 d = GARBAGE_A;                                                                     \
    __asm__ volatile(ASM_PRE insn " %" m "[s], %" m "[d]" ASM_POST                         \
                     : [d] "+r"(d), [fout] "=&r"(f)                                        \
                     : [s] "r"(src), [fin] "r"(fin)                                        \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return d;                                                                              \
  }
#define SCANM_FN(fname, insn, m)                                                           \
  static NOINLINE u64 fname(u64 src, u64 fin, u64 *fout) {                                 \
    u64 f;                                                                                 \
    u64 d = GARBAGE_A;                                                                     \
    u64 cell = src;                                                                        \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(ASM_PRE insn " (%[p]), %" m "[d]" ASM_POST                            \
                     : [d] "+r"(d), [fout] "=&r"(f)                                        \
                     : [p] "r"(p), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return d;                                                                              \
  }
#define SCAN_ALL(op)                                                                       \
  SCAN_FN(op##_16, #op "w", "w")                                                           \
  SCAN_FN(op##_32, #op "l", "k") SCAN_FN(op##_64, #op "q", "q") SCANM_FN(op##_m32, #op "l", "k")
SCAN_ALL(bsf)
SCAN_ALL(bsr)
#ifndef FTSIM_NO_ABM
SCAN_ALL(tzcnt)
SCAN_ALL(lzcnt)
SCAN_ALL(popcnt)
#endif

typedef u64 (*scan_fn)(u64 src, u64 fin, u64 *fout);
struct scan_case {
  const char *name;
  scan_fn fn;
  u8 bits;
  u8 is_bsx; /* destination undefined for a zero source */
  u16 mask;
};
#define SCAN_CASES(op, bsx, mask)                                                          \
  {#op "16", op##_16, 16, bsx, mask}, {#op "32", op##_32, 32, bsx, mask},                  \
      {#op "64", op##_64, 64, bsx, mask}, {#op "32m", op##_m32, 32, bsx, mask}
static const struct scan_case scan_cases[] = {
    SCAN_CASES(bsf, 1, BSF_MASK),
    SCAN_CASES(bsr, 1, BSF_MASK),
#ifndef FTSIM_NO_ABM
    SCAN_CASES(tzcnt, 0, CNT_MASK),
    SCAN_CASES(lzcnt, 0, CNT_MASK),
    SCAN_CASES(popcnt, 0, POPCNT_MASK),
#endif
};

static void run_scan(const struct scan_case *c) {
  const u64 *vals = c->bits == 16 ? scan16 : c->bits == 32 ? scan32 : scan64;
  u64 m = width_mask(c->bits);
  for (int i = 0; i < SCAN_N; i++) {
    u64 fin = (i & 1) ? FL_IN1 : FL_IN0;
    u64 f = 0;
    u64 src = with_garbage(vals[i], c->bits, GARBAGE_B);
    u64 r = c->fn(src, fin, &f);
    put_str(c->name);
    put_sp();
    put_hex(fin, 3);
    put_sp();
    put_hexw(vals[i], c->bits);
    put_str(" -> ");
    if (c->is_bsx && vals[i] == 0) {
      put_str("undef");
    } else {
      put_hexw(r & m, c->bits);
      check_upper(c->name, c->bits, 0, GARBAGE_A, r);
    }
    put_sp();
    put_hex(f & c->mask, 3);
    put_nl();
  }
}

void test_main(void) {
#ifndef FTSIM_NO_ABM
  require_cpu_feature("popcnt");
  require_cpu_feature("lzcnt");
  require_cpu_feature("tzcnt");
#endif
  put_str("# bt family, register: op initflags value bit=offset -> value flags&(CF|ZF)\n");
  for (unsigned i = 0; i < ARRAY_LEN(bt_cases); i++) run_bt(&bt_cases[i]);
  put_str("# bt family, memory bit string: op initflags bit=offset -> flags&(CF|ZF) [changed byte]=value\n");
  for (unsigned i = 0; i < ARRAY_LEN(btm_cases); i++) run_btm(&btm_cases[i]);
  put_str("# scans and counts: op initflags source -> result flags&defined\n");
  for (unsigned i = 0; i < ARRAY_LEN(scan_cases); i++) run_scan(&scan_cases[i]);
}
