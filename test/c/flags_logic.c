/* flags_logic.c — result and RFLAGS of and/or/xor/test/not at every width on edge-value pairs. */
#include "alu.h"

RR_ALL(and)
RR_ALL(or)
RR_ALL(xor)
RR_ALL(test)
UN_ALL(not)

/* and/or/xor/test: OF=CF=0, SF ZF PF from the result, AF undefined (SDM) -> mask 0x8c5.
 * not: no flag is affected, so every status flag must survive (both initial sets). */
#define LOGIC_MASK (FL_ALL & ~FL_AF)

#define W4(op, kind, mask)                                                                 \
  {#op "8", op##_8, 8, kind, mask, 0}, {#op "16", op##_16, 16, kind, mask, 0},             \
      {#op "32", op##_32, 32, kind, mask, 0}, {#op "64", op##_64, 64, kind, mask, 0}

static const struct alu_case cases[] = {
    W4(and, 0, LOGIC_MASK),
    W4(or, 0, LOGIC_MASK),
    W4(xor, 0, LOGIC_MASK),
    W4(test, K_KEEP, LOGIC_MASK),
    W4(not, K_UNARY | K_BOTHF, FL_ALL),
};

/* xor %r,%r and sub %r,%r of a register with itself: the zeroing idioms. */
static NOINLINE u64 xor_self32(u64 a, u64 fin, u64 *fout) {
  u64 f;
  __asm__ volatile(ASM_PRE "xorl %k[a], %k[a]" ASM_POST
                   : [a] "+r"(a), [fout] "=&r"(f) : [fin] "r"(fin) : "cc", "memory");
  *fout = f;
  return a;
}
static NOINLINE u64 sub_self8(u64 a, u64 fin, u64 *fout) {
  u64 f;
  __asm__ volatile(ASM_PRE "subb %b[a], %b[a]" ASM_POST
                   : [a] "+r"(a), [fout] "=&r"(f) : [fin] "r"(fin) : "cc", "memory");
  *fout = f;
  return a;
}

void test_main(void) {
  put_str("# flags_logic: op initflags a [b] -> result flags&defined\n");
  run_alu_cases(cases, (int)ARRAY_LEN(cases));
  for (int i = 0; i < EDGE_N; i++) {
    u64 f;
    u64 r = xor_self32(with_garbage(edge32[i], 32, GARBAGE_A), FL_IN1, &f);
    put_str("xorself32 ");
    put_hex(r, 16);
    put_sp();
    put_hex(f & LOGIC_MASK, 3);
    r = sub_self8(with_garbage(edge8[i], 8, GARBAGE_A), FL_IN0, &f);
    put_str(" subself8 ");
    put_hex(r, 16);
    put_sp();
    put_hex(f & FL_ALL, 3);
    put_nl();
  }
}
