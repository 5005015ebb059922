/* shifts.c — shifts and rotates: C semantics at every width, and shl/shr/sar/rol/ror by %cl and by immediate including counts >= width, with flags. */
#include "alu.h"

/* ---- hardware shifts by %cl ---- */

#define CL_FN(fname, insn, m)                                                              \
  static NOINLINE u64 fname(u64 a, u64 count, u64 fin, u64 *fout) {                        \
    u64 f;                                                                                 \
    __asm__ volatile(ASM_PRE insn " %%cl, %" m "[a]" ASM_POST                              \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : "c"(count), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }
#define CL_ALL(op)                                                                         \
  CL_FN(op##_cl8, #op "b", "b")                                                            \
  CL_FN(op##_cl16, #op "w", "w") CL_FN(op##_cl32, #op "l", "k") CL_FN(op##_cl64, #op "q", "q")

CL_ALL(shl)
CL_ALL(shr)
CL_ALL(sar)
CL_ALL(rol)
CL_ALL(ror)

/* the same ops on a memory destination */
#define MCL_FN(fname, insn)                                                                \
  static NOINLINE u64 fname(u64 a, u64 count, u64 fin, u64 *fout) {                        \
    u64 f;                                                                                 \
    u64 cell = a;                                                                          \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(ASM_PRE insn " %%cl, (%[p])" ASM_POST                                 \
                     : [fout] "=&r"(f)                                                     \
                     : "c"(count), [p] "r"(p), [fin] "r"(fin)                              \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return cell;                                                                           \
  }
MCL_FN(shl_m32, "shll")
MCL_FN(sar_m16, "sarw")
MCL_FN(ror_m8, "rorb")
MCL_FN(rol_m64, "rolq")

/* ---- hardware shifts by an immediate ($1 assembles to the D0/D1 by-one form) ---- */

#define IM_FN(fname, insn, m, imm)                                                         \
  static NOINLINE u64 fname(u64 a, u64 count, u64 fin, u64 *fout) {                        \
    u64 f;                                                                                 \
    (void)count;                                                                           \
    __asm__ volatile(ASM_PRE insn " $" #imm ", %" m "[a]" ASM_POST                         \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }
#define IM_W(op, w, sfx, m, c0, c1, c2, c3)                                                \
  IM_FN(op##_i##w##_0, #op sfx, m, c0)                                                     \
  IM_FN(op##_i##w##_1, #op sfx, m, c1)                                                     \
  IM_FN(op##_i##w##_2, #op sfx, m, c2) IM_FN(op##_i##w##_3, #op sfx, m, c3)
#define IM_W_(...) IM_W(__VA_ARGS__)
#define ICNT8 0, 1, 7, 12
#define ICNT16 0, 1, 15, 20
#define ICNT32 0, 1, 31, 36
#define ICNT64 0, 1, 63, 70
#define IM_ALL(op)                                                                         \
  IM_W_(op, 8, "b", "b", ICNT8)                                                            \
  IM_W_(op, 16, "w", "w", ICNT16) IM_W_(op, 32, "l", "k", ICNT32) IM_W_(op, 64, "q", "q", ICNT64)

IM_ALL(shl)
IM_ALL(shr)
IM_ALL(sar)
IM_ALL(rol)
IM_ALL(ror)

enum { OP_SHL, OP_SHR, OP_SAR, OP_ROL, OP_ROR };

/*
 * Defined flags after a shift or rotate (SDM SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR):
 *  - masked count (count & 0x1f, & 0x3f for 64-bit) 0: no flag changes -> all six defined;
 *  - shifts, masked count != 0: SF ZF PF from the result, CF = last bit out, AF undefined,
 *    OF defined only when the masked count is 1; CF is undefined for SHL/SHR when the
 *    count is >= the operand width (8/16-bit operands with counts 8..31 / 16..31);
 *  - rotates: SF ZF AF PF never change; CF is set whenever the masked count != 0 (even
 *    when it is a multiple of the width); OF is defined only for masked count 1.
 */
static u16 shift_mask(int op, int bits, u64 count) {
  u64 c = count & (bits == 64 ? 63 : 31);
  if (c == 0) return FL_ALL;
  if (op == OP_ROL || op == OP_ROR) return c == 1 ? FL_ALL : (u16)(FL_ALL & ~FL_OF);
  u16 m = FL_CF | FL_PF | FL_ZF | FL_SF;
  if (c == 1) m |= FL_OF;
  if ((op == OP_SHL || op == OP_SHR) && c >= (u64)bits) m &= (u16)~FL_CF;
  return m;
}

static const u64 sval8[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xb5, 0xff};
static const u64 sval16[] = {0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xb5a3, 0xffff};
static const u64 sval32[] = {0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xb5a3c691, 0xffffffff};
static const u64 sval64[] = {0,
                             1,
                             0x7fffffffffffffffull,
                             0x8000000000000000ull,
                             0x8000000000000001ull,
                             0xb5a3c6915e2d7f08ull,
                             0xffffffffffffffffull};
#define SVAL_N 7
static const u64 counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 129, 255};

static const u64 *svals(int bits) {
  return bits == 8 ? sval8 : bits == 16 ? sval16 : bits == 32 ? sval32 : sval64;
}

struct shift_case {
  const char *name;
  alu_fn fn;
  u8 bits;
  u8 op;
  u8 keep;   /* memory destination: upper bytes preserved */
  s16 count; /* immediate count, or -1 for %cl over the count table */
};

static void run_shift(const struct shift_case *c) {
  const u64 *vals = svals(c->bits);
  int nc = c->count < 0 ? (int)ARRAY_LEN(counts) : 1;
  u64 m = width_mask(c->bits);
  for (int i = 0; i < SVAL_N; i++) {
    for (int j = 0; j < nc; j++) {
      u64 cnt = c->count < 0 ? counts[j] : (u64)c->count;
      u64 fin = ((i + j) & 1) ? FL_IN1 : FL_IN0;
      u64 A = with_garbage(vals[i], c->bits, GARBAGE_A);
      u64 f = 0;
      /* the count register carries garbage above %cl: only cl counts */
      u64 r = c->fn(A, cnt | 0x5a5a5a00ull, fin, &f);
      put_str(c->name);
      put_sp();
      put_hex(fin, 3);
      put_sp();
      put_hexw(vals[i], c->bits);
      put_str(" c=");
      put_hex(cnt, 2);
      put_str(" -> ");
      put_hexw(r & m, c->bits);
      put_sp();
      put_hex(f & shift_mask(c->op, c->bits, cnt), 3);
      put_nl();
      check_upper(c->name, c->bits, c->keep, A, r);
    }
  }
}

#define CL_CASES(op, OP)                                                                   \
  {#op "8", op##_cl8, 8, OP, 0, -1}, {#op "16", op##_cl16, 16, OP, 0, -1},                 \
      {#op "32", op##_cl32, 32, OP, 0, -1}, {#op "64", op##_cl64, 64, OP, 0, -1}
#define IM_CASES_W(op, OP, w, c0, c1, c2, c3)                                              \
  {#op #w "i", op##_i##w##_0, w, OP, 0, c0}, {#op #w "i", op##_i##w##_1, w, OP, 0, c1},    \
      {#op #w "i", op##_i##w##_2, w, OP, 0, c2}, {#op #w "i", op##_i##w##_3, w, OP, 0, c3}
#define IM_CASES_W_(...) IM_CASES_W(__VA_ARGS__)
#define IM_CASES(op, OP)                                                                   \
  IM_CASES_W_(op, OP, 8, ICNT8), IM_CASES_W_(op, OP, 16, ICNT16),                          \
      IM_CASES_W_(op, OP, 32, ICNT32), IM_CASES_W_(op, OP, 64, ICNT64)

static const struct shift_case shift_cases[] = {
    CL_CASES(shl, OP_SHL),
    CL_CASES(shr, OP_SHR),
    CL_CASES(sar, OP_SAR),
    CL_CASES(rol, OP_ROL),
    CL_CASES(ror, OP_ROR),
    {"shl32m", shl_m32, 32, OP_SHL, 1, -1},
    {"sar16m", sar_m16, 16, OP_SAR, 1, -1},
    {"ror8m", ror_m8, 8, OP_ROR, 1, -1},
    {"rol64m", rol_m64, 64, OP_ROL, 1, -1},
    IM_CASES(shl, OP_SHL),
    IM_CASES(shr, OP_SHR),
    IM_CASES(sar, OP_SAR),
    IM_CASES(rol, OP_ROL),
    IM_CASES(ror, OP_ROR),
};

/* ---- C-level shifts and rotates: what gcc emits for C code ---- */

#define C_SHIFTS(T, U, W)                                                                  \
  static NOINLINE T c_shl_##T(T x, unsigned n) { return (T)((U)x << n); }                  \
  static NOINLINE T c_shr_##T(T x, unsigned n) { return (T)(x >> n); }                     \
  static NOINLINE T c_rol_##T(T x, unsigned n) {                                           \
    U u = (U)x;                                                                            \
    return (T)(U)((u << (n & (W - 1))) | (u >> (-n & (W - 1))));                           \
  }                                                                                        \
  static NOINLINE T c_ror_##T(T x, unsigned n) {                                           \
    U u = (U)x;                                                                            \
    return (T)(U)((u >> (n & (W - 1))) | (u << (-n & (W - 1))));                           \
  }                                                                                        \
  static NOINLINE T c_shl3_##T(T x) { return (T)((U)x << 3); }                             \
  static NOINLINE T c_shr1_##T(T x) { return (T)(x >> 1); }                                \
  static NOINLINE T c_shrw_##T(T x) { return (T)(x >> (W - 1)); }                          \
  static NOINLINE T c_rol5_##T(T x) {                                                      \
    U u = (U)x;                                                                            \
    return (T)(U)((u << 5) | (u >> (W - 5)));                                              \
  }                                                                                        \
  static NOINLINE void c_line_##T(const char *name, T x, unsigned n) {                     \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)(U)x, W);                                                                \
    put_str(" n=");                                                                        \
    put_u64(n);                                                                            \
    put_str(" shl=");                                                                      \
    put_hexw((u64)(U)c_shl_##T(x, n), W);                                                  \
    put_str(" shr=");                                                                      \
    put_hexw((u64)(U)c_shr_##T(x, n), W);                                                  \
    put_str(" rol=");                                                                      \
    put_hexw((u64)(U)c_rol_##T(x, n), W);                                                  \
    put_str(" ror=");                                                                      \
    put_hexw((u64)(U)c_ror_##T(x, n), W);                                                  \
    put_str(" k=");                                                                        \
    put_hexw((u64)(U)c_shl3_##T(x), W);                                                    \
    put_sp();                                                                              \
    put_hexw((u64)(U)c_shr1_##T(x), W);                                                    \
    put_sp();                                                                              \
    put_hexw((u64)(U)c_shrw_##T(x), W);                                                    \
    put_sp();                                                                              \
    put_hexw((u64)(U)c_rol5_##T(x), W);                                                    \
    put_nl();                                                                              \
  }

C_SHIFTS(u8, u8, 8)
C_SHIFTS(s8, u8, 8)
C_SHIFTS(u16, u16, 16)
C_SHIFTS(s16, u16, 16)
C_SHIFTS(u32, u32, 32)
C_SHIFTS(s32, u32, 32)
C_SHIFTS(u64, u64, 64)
C_SHIFTS(s64, u64, 64)

static void c_level(void) {
  for (int i = 0; i < EDGE_N; i++) {
    unsigned ns8[] = {0, 1, 4, 7}, ns16[] = {0, 1, 8, 15}, ns32[] = {0, 1, 16, 31},
             ns64[] = {0, 1, 32, 63};
    for (int k = 0; k < 4; k++) {
      c_line_u8("u8", (u8)edge8[i], ns8[k]);
      c_line_s8("s8", (s8)edge8[i], ns8[k]);
      c_line_u16("u16", (u16)edge16[i], ns16[k]);
      c_line_s16("s16", (s16)edge16[i], ns16[k]);
      c_line_u32("u32", (u32)edge32[i], ns32[k]);
      c_line_s32("s32", (s32)edge32[i], ns32[k]);
      c_line_u64("u64", edge64[i], ns64[k]);
      c_line_s64("s64", (s64)edge64[i], ns64[k]);
    }
  }
}

void test_main(void) {
  put_str("# shifts: C-level shl/shr/rol/ror at every width\n");
  c_level();
  put_str("# hardware: op initflags value c=count -> result flags&defined\n");
  for (unsigned i = 0; i < ARRAY_LEN(shift_cases); i++) run_shift(&shift_cases[i]);
}
