/* alu.h — inline-asm ALU op wrappers, edge-value tables and a table-driven flags printer for the ftsim exec tests. */
#ifndef FTSIM_ALU_H
#define FTSIM_ALU_H

#include "harness.h"

/* RFLAGS status bits. */
#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_OF 0x800u
#define FL_ALL (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF) /* 0x8d5 */

/* Initial RFLAGS loaded with popf before an op: all status flags clear, or all set.
 * Bit 1 is the always-one bit; IF, DF, TF stay clear. */
#define FL_IN0 0x002ull
#define FL_IN1 (0x002ull | FL_ALL)

/*
 * Every wrapper moves rsp below the red zone first (native code may keep locals
 * there), loads RFLAGS with popf, runs the op, and captures RFLAGS with pushf; pop.
 * Operands are registers or pointers in registers, never rsp-relative memory.
 */
#define ASM_PRE "lea -128(%%rsp), %%rsp\n\tpush %[fin]\n\tpopf\n\t"
#define ASM_POST "\n\tpushf\n\tpop %[fout]\n\tlea 128(%%rsp), %%rsp"

/* An op under test: a is the destination (or sole) operand, b the source. */
typedef u64 (*alu_fn)(u64 a, u64 b, u64 fin, u64 *fout);

/* op %b, %a (register, register) */
#define RR_FN(fname, insn, m)                                                              \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    __asm__ volatile(ASM_PRE insn " %" m "[b], %" m "[a]" ASM_POST                         \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [b] "r"(b), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }

/* op %a (one register operand) */
#define UN_FN(fname, insn, m)                                                              \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    (void)b;                                                                               \
    __asm__ volatile(ASM_PRE insn " %" m "[a]" ASM_POST                                    \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }

/* op %b, (mem holding a) */
#define MR_FN(fname, insn, m)                                                              \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    u64 cell = a;                                                                          \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(ASM_PRE insn " %" m "[b], (%[p])" ASM_POST                            \
                     : [fout] "=&r"(f)                                                     \
                     : [b] "r"(b), [p] "r"(p), [fin] "r"(fin)                              \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return cell;                                                                           \
  }

/* op (mem holding b), %a */
#define RM_FN(fname, insn, m)                                                              \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    u64 cell = b;                                                                          \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(ASM_PRE insn " (%[p]), %" m "[a]" ASM_POST                            \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [p] "r"(p), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }

/* op $imm, %a (any register) */
#define RI_FN(fname, insn, m, imm)                                                         \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    (void)b;                                                                               \
    __asm__ volatile(ASM_PRE insn " $" imm ", %" m "[a]" ASM_POST                          \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }

/* op $imm, %al/%ax/%eax/%rax (the accumulator short forms) */
#define AI_FN(fname, insn, m, imm)                                                         \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    (void)b;                                                                               \
    __asm__ volatile(ASM_PRE insn " $" imm ", %" m "[a]" ASM_POST                          \
                     : [a] "+a"(a), [fout] "=&r"(f)                                        \
                     : [fin] "r"(fin)                                                      \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }

/* op $imm, (mem holding a) */
#define MI_FN(fname, insn, imm)                                                            \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    u64 cell = a;                                                                          \
    u64 *p = &cell;                                                                        \
    (void)b;                                                                               \
    __asm__ volatile(ASM_PRE insn " $" imm ", (%[p])" ASM_POST                             \
                     : [fout] "=&r"(f)                                                     \
                     : [p] "r"(p), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return cell;                                                                           \
  }

/* The four widths of a register-register op: op_8 .. op_64. */
#define RR_ALL(op)                                                                         \
  RR_FN(op##_8, #op "b", "b")                                                              \
  RR_FN(op##_16, #op "w", "w") RR_FN(op##_32, #op "l", "k") RR_FN(op##_64, #op "q", "q")
#define UN_ALL(op)                                                                         \
  UN_FN(op##_8, #op "b", "b")                                                              \
  UN_FN(op##_16, #op "w", "w") UN_FN(op##_32, #op "l", "k") UN_FN(op##_64, #op "q", "q")
#define MR_ALL(op)                                                                         \
  MR_FN(op##_m8, #op "b", "b")                                                             \
  MR_FN(op##_m16, #op "w", "w") MR_FN(op##_m32, #op "l", "k") MR_FN(op##_m64, #op "q", "q")
#define RM_ALL(op)                                                                         \
  RM_FN(op##_r8, #op "b", "b")                                                             \
  RM_FN(op##_r16, #op "w", "w") RM_FN(op##_r32, #op "l", "k") RM_FN(op##_r64, #op "q", "q")

/* ---- edge values ---- */

static const u64 edge8[] = {0x00, 0x01, 0x02, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff};
static const u64 edge16[] = {0x0000, 0x0001, 0x00ff, 0x0100, 0x1234,
                             0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff};
static const u64 edge32[] = {0x00000000, 0x00000001, 0x000000ff, 0x0000ffff, 0x12345678,
                             0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff};
static const u64 edge64[] = {0x0000000000000000ull, 0x0000000000000001ull, 0x00000000ffffffffull,
                             0x0000000100000000ull, 0x0123456789abcdefull, 0x7fffffffffffffffull,
                             0x8000000000000000ull, 0x8000000000000001ull, 0xfffffffffffffffeull,
                             0xffffffffffffffffull};
#define EDGE_N 10
#define SMALL_N 5
/* The reduced set: 0, 1, INT_MAX, INT_MIN, -1 of the width (indices into the tables). */
static const u8 small_idx[SMALL_N] = {0, 1, 5, 6, 9};

static UNUSED const u64 *edge_table(int bits) {
  switch (bits) {
  case 8: return edge8;
  case 16: return edge16;
  case 32: return edge32;
  default: return edge64;
  }
}

/* Bits above the operand width are filled with these; ops must preserve them (8/16-bit
 * destinations, memory destinations, non-writing ops) or clear them (32-bit register
 * destinations). */
#define GARBAGE_A 0xa5c396e15a3c691eull
#define GARBAGE_B 0x3c5aa5e1c3965a69ull

static UNUSED inline u64 with_garbage(u64 v, int bits, u64 garbage) {
  u64 m = width_mask(bits);
  return (v & m) | (garbage & ~m);
}

/* ---- table-driven runner ---- */

enum {
  K_UNARY = 1,   /* no b operand */
  K_BOTHF = 2,   /* run with both initial flag sets (op reads or preserves flags) */
  K_KEEP = 4,    /* destination upper bits are preserved even at 32 bits (no write, memory dst) */
  K_IMM = 8,     /* b is the immediate in the instruction (field imm) */
  K_SMALL = 16,  /* use the reduced value set */
};

struct alu_case {
  const char *name;
  alu_fn fn;
  u8 bits;
  u8 kind;
  u16 mask; /* defined flags to print */
  u64 imm;  /* for K_IMM: the immediate, as the op sees it (sign-extended, width-masked) */
};

static UNUSED NOINLINE void check_upper(const char *name, int bits, int keep, u64 in, u64 out) {
  u64 m = width_mask(bits);
  if (bits == 64) return;
  u64 want = (bits == 32 && !keep) ? 0 : (in & ~m);
  if ((out & ~m) != want) {
    put_str("BADUPPER ");
    put_str(name);
    put_sp();
    put_hex(in, 16);
    put_str(" -> ");
    put_hex(out, 16);
    put_nl();
  }
}

static UNUSED NOINLINE void print_flags_line(const char *name, int bits, u64 fin, u64 a, int has_b,
                                             u64 b, u64 r, u64 f, u16 mask) {
  put_str(name);
  put_sp();
  put_hex(fin, 3);
  put_sp();
  put_hexw(a, bits);
  if (has_b) {
    put_sp();
    put_hexw(b, bits);
  }
  put_str(" -> ");
  put_hexw(r, bits);
  put_sp();
  put_hex(f & mask, 3);
  put_nl();
}

static UNUSED NOINLINE void run_alu_case(const struct alu_case *c) {
  const u64 *vals = edge_table(c->bits);
  int n = (c->kind & K_SMALL) ? SMALL_N : EDGE_N;
  int nb = (c->kind & (K_UNARY | K_IMM)) ? 1 : n;
  u64 m = width_mask(c->bits);
  for (int i = 0; i < n; i++) {
    u64 a = vals[(c->kind & K_SMALL) ? small_idx[i] : i];
    for (int j = 0; j < nb; j++) {
      u64 b = (c->kind & K_IMM) ? c->imm : vals[(c->kind & K_SMALL) ? small_idx[j] : j];
      for (int k = 0; k < 2; k++) {
        u64 fin;
        if (c->kind & K_BOTHF)
          fin = k ? FL_IN1 : FL_IN0;
        else if (k)
          break;
        else
          fin = ((i + j) & 1) ? FL_IN1 : FL_IN0;
        u64 A = with_garbage(a, c->bits, GARBAGE_A);
        u64 B = with_garbage(b, c->bits, GARBAGE_B);
        u64 f = 0;
        u64 r = c->fn(A, B, fin, &f);
        print_flags_line(c->name, c->bits, fin, a, !(c->kind & K_UNARY), b, r & m, f, c->mask);
        check_upper(c->name, c->bits, (c->kind & K_KEEP) != 0, A, r);
      }
    }
  }
}

static UNUSED void run_alu_cases(const struct alu_case *cs, int n) {
  for (int i = 0; i < n; i++) run_alu_case(&cs[i]);
}

#endif /* FTSIM_ALU_H */
