/* flags_mul.c — mul and imul in their one-, two- and three-operand forms at every width: full products and CF/OF. */
#include "alu.h"

/* Defined flags after mul/imul (SDM): CF and OF (set when the upper half is significant);
 * SF ZF AF PF are undefined. */
#define MUL_MASK (FL_CF | FL_OF)

#define GARBAGE_D 0x6e1f5a3cc3a596e1ull

typedef u64 (*mul1_fn)(u64 a, u64 b, u64 fin, u64 *fout, u64 *d);

/* one-operand: rdx:rax (or ax) = rax * src */
#define MUL1_FN(fname, insn, m)                                                            \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout, u64 *dout) {                 \
    u64 f;                                                                                 \
    u64 d = GARBAGE_D;                                                                     \
    __asm__ volatile(ASM_PRE insn " %" m "[b]" ASM_POST                                    \
                     : "+a"(a), "+d"(d), [fout] "=&r"(f)                                   \
                     : [b] "r"(b), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    *dout = d;                                                                             \
    return a;                                                                              \
  }
/* one-operand with the source in memory */
#define MUL1M_FN(fname, insn)                                                              \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout, u64 *dout) {                 \
    u64 f;                                                                                 \
    u64 d = GARBAGE_D;                                                                     \
    u64 cell = b;                                                                          \
    u64 *p = &cell;                                                                        \
    __asm__ volatile(ASM_PRE insn " (%[p])" ASM_POST                                       \
                     : "+a"(a), "+d"(d), [fout] "=&r"(f)                                   \
                     : [p] "r"(p), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    *dout = d;                                                                             \
    return a;                                                                              \
  }

MUL1_FN(mul_8, "mulb", "b")
MUL1_FN(mul_16, "mulw", "w")
MUL1_FN(mul_32, "mull", "k")
MUL1_FN(mul_64, "mulq", "q")
MUL1_FN(imul1_8, "imulb", "b")
MUL1_FN(imul1_16, "imulw", "w")
MUL1_FN(imul1_32, "imull", "k")
MUL1_FN(imul1_64, "imulq", "q")
MUL1M_FN(mul_m8, "mulb")
MUL1M_FN(mul_m16, "mulw")
MUL1M_FN(mul_m32, "mull")
MUL1M_FN(mul_m64, "mulq")
MUL1M_FN(imul1_m8, "imulb")
MUL1M_FN(imul1_m16, "imulw")
MUL1M_FN(imul1_m32, "imull")
MUL1M_FN(imul1_m64, "imulq")

/* two-operand: a = a * b */
RR_FN(imul2_16, "imulw", "w")
RR_FN(imul2_32, "imull", "k")
RR_FN(imul2_64, "imulq", "q")
RM_FN(imul2_m16, "imulw", "w")
RM_FN(imul2_m32, "imull", "k")
RM_FN(imul2_m64, "imulq", "q")

/* three-operand: a = b * imm (a's input is garbage that must be overwritten) */
#define I3_FN(fname, insn, m, imm)                                                         \
  static NOINLINE u64 fname(u64 a, u64 b, u64 fin, u64 *fout) {                            \
    u64 f;                                                                                 \
    __asm__ volatile(ASM_PRE insn " $" #imm ", %" m "[b], %" m "[a]" ASM_POST              \
                     : [a] "+r"(a), [fout] "=&r"(f)                                        \
                     : [b] "r"(b), [fin] "r"(fin)                                          \
                     : "cc", "memory");                                                    \
    *fout = f;                                                                             \
    return a;                                                                              \
  }
#define I3_W(w, sfx, m, c0, c1, c2, c3)                                                    \
  I3_FN(imul3_##w##_0, "imul" sfx, m, c0)                                                  \
  I3_FN(imul3_##w##_1, "imul" sfx, m, c1)                                                  \
  I3_FN(imul3_##w##_2, "imul" sfx, m, c2) I3_FN(imul3_##w##_3, "imul" sfx, m, c3)
#define I3_W_(...) I3_W(__VA_ARGS__)
#define I3IMM16 -1, 127, -128, 0x1234
#define I3IMM32 3, -128, 0x12345, -2147483648
#define I3IMM64 -1, 10, 0x7fffffff, -2147483648
I3_W_(16, "w", "w", I3IMM16)
I3_W_(32, "l", "k", I3IMM32)
I3_W_(64, "q", "q", I3IMM64)

struct mul1_case {
  const char *name;
  mul1_fn fn;
  u8 bits;
  u8 small;
};

static const struct mul1_case mul1_cases[] = {
    {"mul8", mul_8, 8, 0},         {"mul16", mul_16, 16, 0},       {"mul32", mul_32, 32, 0},
    {"mul64", mul_64, 64, 0},      {"imul8", imul1_8, 8, 0},       {"imul16", imul1_16, 16, 0},
    {"imul32", imul1_32, 32, 0},   {"imul64", imul1_64, 64, 0},    {"mul8m", mul_m8, 8, 1},
    {"mul16m", mul_m16, 16, 1},    {"mul32m", mul_m32, 32, 1},     {"mul64m", mul_m64, 64, 1},
    {"imul8m", imul1_m8, 8, 1},    {"imul16m", imul1_m16, 16, 1},  {"imul32m", imul1_m32, 32, 1},
    {"imul64m", imul1_m64, 64, 1},
};

static void run_mul1(const struct mul1_case *c) {
  const u64 *vals = edge_table(c->bits);
  int n = c->small ? SMALL_N : EDGE_N;
  u64 m = width_mask(c->bits);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      u64 a = vals[c->small ? small_idx[i] : i], b = vals[c->small ? small_idx[j] : j];
      u64 fin = ((i + j) & 1) ? FL_IN1 : FL_IN0;
      u64 A = with_garbage(a, c->bits, GARBAGE_A), B = with_garbage(b, c->bits, GARBAGE_B);
      u64 f = 0, d = 0;
      u64 r = c->fn(A, B, fin, &f, &d);
      u64 hi, lo;
      if (c->bits == 8) {
        hi = (r >> 8) & 0xff;
        lo = r & 0xff;
        /* ax is written: rax above bit 16 and all of rdx unchanged */
        if ((r >> 16) != (A >> 16) || d != GARBAGE_D) put_str("BADUPPER8\n");
      } else {
        hi = d & m;
        lo = r & m;
        if (c->bits == 16 && ((r >> 16) != (A >> 16) || (d >> 16) != (GARBAGE_D >> 16)))
          put_str("BADUPPER16\n");
        if (c->bits == 32 && ((r >> 32) != 0 || (d >> 32) != 0)) put_str("BADUPPER32\n");
      }
      put_str(c->name);
      put_sp();
      put_hex(fin, 3);
      put_sp();
      put_hexw(a, c->bits);
      put_sp();
      put_hexw(b, c->bits);
      put_str(" -> ");
      put_hexw(hi, c->bits);
      put_sp();
      put_hexw(lo, c->bits);
      put_sp();
      put_hex(f & MUL_MASK, 3);
      put_nl();
    }
  }
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct alu_case alu_cases[] = {
    {"imul16", imul2_16, 16, 0, MUL_MASK, 0},
    {"imul32", imul2_32, 32, 0, MUL_MASK, 0},
    {"imul64", imul2_64, 64, 0, MUL_MASK, 0},
    {"imul16rm", imul2_m16, 16, K_SMALL, MUL_MASK, 0},
    {"imul32rm", imul2_m32, 32, K_SMALL, MUL_MASK, 0},
    {"imul64rm", imul2_m64, 64, K_SMALL, MUL_MASK, 0},
};

struct i3_case {
  const char *name;
  alu_fn fn;
  u8 bits;
  s64 imm;
};
#define I3C(w, c0, c1, c2, c3)                                                             \
  {"imul" STR(w) "i", imul3_##w##_0, w, c0}, {"imul" STR(w) "i", imul3_##w##_1, w, c1},    \
      {"imul" STR(w) "i", imul3_##w##_2, w, c2}, {"imul" STR(w) "i", imul3_##w##_3, w, c3}
#define I3C_(...) I3C(__VA_ARGS__)
static const struct i3_case i3_cases[] = {I3C_(16, I3IMM16), I3C_(32, I3IMM32), I3C_(64, I3IMM64)};

static void run_i3(const struct i3_case *c) {
  const u64 *vals = edge_table(c->bits);
  u64 m = width_mask(c->bits);
  for (int i = 0; i < EDGE_N; i++) {
    u64 fin = (i & 1) ? FL_IN1 : FL_IN0;
    u64 A = GARBAGE_A; /* destination: fully replaced (low part) */
    u64 B = with_garbage(vals[i], c->bits, GARBAGE_B);
    u64 f = 0;
    u64 r = c->fn(A, B, fin, &f);
    print_flags_line(c->name, c->bits, fin, vals[i], 1, (u64)c->imm & m, r & m, f, MUL_MASK);
    check_upper(c->name, c->bits, 0, A, r);
  }
}

void test_main(void) {
  put_str("# flags_mul one-operand: op initflags a b -> high low flags&(CF|OF)\n");
  for (unsigned i = 0; i < ARRAY_LEN(mul1_cases); i++) run_mul1(&mul1_cases[i]);
  put_str("# two-operand imul: op initflags a b -> low flags&(CF|OF)\n");
  run_alu_cases(alu_cases, (int)ARRAY_LEN(alu_cases));
  put_str("# three-operand imul: op initflags src imm -> low flags&(CF|OF)\n");
  for (unsigned i = 0; i < ARRAY_LEN(i3_cases); i++) run_i3(&i3_cases[i]);
}
