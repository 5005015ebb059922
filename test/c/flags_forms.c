/* flags_forms.c — the ALU ops again in their memory-destination, memory-source, immediate, accumulator and memory-immediate encodings. */
#include "alu.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define WMASK(w) ((w) >= 64 ? ~0ull : (1ull << ((w) & 63)) - 1)
#define IMMV(w, i) ((u64)(s64)(i) & WMASK(w))

/* Immediates per width: imm8 forms (sign-extended) and full-size forms. */
#define IMMS8 1, 127, -128, -1
#define IMMS16 1, -1, 32767, -32768
#define IMMS32 1, -128, 2147483647, -2147483648
#define IMMS64 1, -1, 2147483647, -2147483648

#define IMM_FNS(op, w, sfx, m, i0, i1, i2, i3)                                             \
  RI_FN(op##_ri##w##a, #op sfx, m, #i0)                                                    \
  AI_FN(op##_ai##w##b, #op sfx, m, #i1)                                                    \
  RI_FN(op##_ri##w##c, #op sfx, m, #i2)                                                    \
  AI_FN(op##_ai##w##d, #op sfx, m, #i3)                                                    \
  MI_FN(op##_mi##w##a, #op sfx, #i0)                                                       \
  MI_FN(op##_mi##w##b, #op sfx, #i1)                                                       \
  MI_FN(op##_mi##w##c, #op sfx, #i2) MI_FN(op##_mi##w##d, #op sfx, #i3)
#define IMM_FNS_(...) IMM_FNS(__VA_ARGS__)
#define IMM_ALL(op)                                                                        \
  IMM_FNS_(op, 8, "b", "b", IMMS8)                                                         \
  IMM_FNS_(op, 16, "w", "w", IMMS16)                                                       \
  IMM_FNS_(op, 32, "l", "k", IMMS32) IMM_FNS_(op, 64, "q", "q", IMMS64)

#define IMM_CASES(op, kind, mask, w, i0, i1, i2, i3)                                       \
  {#op STR(w) "ri", op##_ri##w##a, w, K_IMM | K_SMALL | (kind), mask, IMMV(w, i0)},        \
      {#op STR(w) "ai", op##_ai##w##b, w, K_IMM | K_SMALL | (kind), mask, IMMV(w, i1)},    \
      {#op STR(w) "ri", op##_ri##w##c, w, K_IMM | K_SMALL | (kind), mask, IMMV(w, i2)},    \
      {#op STR(w) "ai", op##_ai##w##d, w, K_IMM | K_SMALL | (kind), mask, IMMV(w, i3)},    \
      {#op STR(w) "mi", op##_mi##w##a, w, K_IMM | K_SMALL | K_KEEP | (kind), mask,         \
       IMMV(w, i0)},                                                                       \
      {#op STR(w) "mi", op##_mi##w##b, w, K_IMM | K_SMALL | K_KEEP | (kind), mask,         \
       IMMV(w, i1)},                                                                       \
      {#op STR(w) "mi", op##_mi##w##c, w, K_IMM | K_SMALL | K_KEEP | (kind), mask,         \
       IMMV(w, i2)},                                                                       \
      {#op STR(w) "mi", op##_mi##w##d, w, K_IMM | K_SMALL | K_KEEP | (kind), mask, IMMV(w, i3)}
#define IMM_CASES_(...) IMM_CASES(__VA_ARGS__)
#define IMM_CASES_ALL(op, kind, mask)                                                      \
  IMM_CASES_(op, kind, mask, 8, IMMS8), IMM_CASES_(op, kind, mask, 16, IMMS16),            \
      IMM_CASES_(op, kind, mask, 32, IMMS32), IMM_CASES_(op, kind, mask, 64, IMMS64)

#define MEM_CASES(op, kind, mask)                                                          \
  {#op "8mr", op##_m8, 8, K_SMALL | K_KEEP | (kind), mask, 0},                             \
      {#op "16mr", op##_m16, 16, K_SMALL | K_KEEP | (kind), mask, 0},                      \
      {#op "32mr", op##_m32, 32, K_SMALL | K_KEEP | (kind), mask, 0},                      \
      {#op "64mr", op##_m64, 64, K_SMALL | K_KEEP | (kind), mask, 0}
#define RM_CASES(op, kind, mask)                                                           \
  {#op "8rm", op##_r8, 8, K_SMALL | (kind), mask, 0},                                      \
      {#op "16rm", op##_r16, 16, K_SMALL | (kind), mask, 0},                               \
      {#op "32rm", op##_r32, 32, K_SMALL | (kind), mask, 0},                               \
      {#op "64rm", op##_r64, 64, K_SMALL | (kind), mask, 0}

#define LOGIC_MASK (FL_ALL & ~FL_AF)

MR_ALL(add) RM_ALL(add) IMM_ALL(add)
MR_ALL(adc) RM_ALL(adc) IMM_ALL(adc)
MR_ALL(sub) RM_ALL(sub) IMM_ALL(sub)
MR_ALL(sbb) RM_ALL(sbb) IMM_ALL(sbb)
MR_ALL(cmp) RM_ALL(cmp) IMM_ALL(cmp)
MR_ALL(and) RM_ALL(and) IMM_ALL(and)
MR_ALL(or) RM_ALL(or) IMM_ALL(or)
MR_ALL(xor) RM_ALL(xor) IMM_ALL(xor)
MR_ALL(test) IMM_ALL(test)

static const struct alu_case cases[] = {
    MEM_CASES(add, 0, FL_ALL), RM_CASES(add, 0, FL_ALL), IMM_CASES_ALL(add, 0, FL_ALL),
    MEM_CASES(adc, K_BOTHF, FL_ALL), RM_CASES(adc, K_BOTHF, FL_ALL),
    IMM_CASES_ALL(adc, K_BOTHF, FL_ALL),
    MEM_CASES(sub, 0, FL_ALL), RM_CASES(sub, 0, FL_ALL), IMM_CASES_ALL(sub, 0, FL_ALL),
    MEM_CASES(sbb, K_BOTHF, FL_ALL), RM_CASES(sbb, K_BOTHF, FL_ALL),
    IMM_CASES_ALL(sbb, K_BOTHF, FL_ALL),
    MEM_CASES(cmp, 0, FL_ALL), RM_CASES(cmp, K_KEEP, FL_ALL), IMM_CASES_ALL(cmp, K_KEEP, FL_ALL),
    MEM_CASES(and, 0, LOGIC_MASK), RM_CASES(and, 0, LOGIC_MASK),
    IMM_CASES_ALL(and, 0, LOGIC_MASK),
    MEM_CASES(or, 0, LOGIC_MASK), RM_CASES(or, 0, LOGIC_MASK), IMM_CASES_ALL(or, 0, LOGIC_MASK),
    MEM_CASES(xor, 0, LOGIC_MASK), RM_CASES(xor, 0, LOGIC_MASK),
    IMM_CASES_ALL(xor, 0, LOGIC_MASK),
    MEM_CASES(test, 0, LOGIC_MASK), IMM_CASES_ALL(test, K_KEEP, LOGIC_MASK),
};

void test_main(void) {
  put_str("# flags_forms: op+form initflags a b|imm -> result flags&defined\n");
  put_str("# forms: mr=op reg,(mem) rm=op (mem),reg ri=op $imm,reg ai=op $imm,accumulator mi=op $imm,(mem)\n");
  run_alu_cases(cases, (int)ARRAY_LEN(cases));
}
