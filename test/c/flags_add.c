/* flags_add.c — result and RFLAGS of add/adc/sub/sbb/cmp/neg/inc/dec at every width on edge-value pairs. */
#include "alu.h"

RR_ALL(add)
RR_ALL(adc)
RR_ALL(sub)
RR_ALL(sbb)
RR_ALL(cmp)
UN_ALL(neg)
UN_ALL(inc)
UN_ALL(dec)

#define W4(op, kind, mask)                                                                 \
  {#op "8", op##_8, 8, kind, mask, 0}, {#op "16", op##_16, 16, kind, mask, 0},             \
      {#op "32", op##_32, 32, kind, mask, 0}, {#op "64", op##_64, 64, kind, mask, 0}

/* All six status flags are defined for these ops (SDM): add/adc/sub/sbb/cmp/neg set
 * OF SF ZF AF PF CF from the result; inc/dec set OF SF ZF AF PF and leave CF alone,
 * which K_BOTHF checks by running with CF clear and with CF set. */
static const struct alu_case cases[] = {
    W4(add, 0, FL_ALL),
    W4(adc, K_BOTHF, FL_ALL),
    W4(sub, 0, FL_ALL),
    W4(sbb, K_BOTHF, FL_ALL),
    W4(cmp, K_KEEP, FL_ALL),
    W4(neg, K_UNARY | K_BOTHF, FL_ALL),
    W4(inc, K_UNARY | K_BOTHF, FL_ALL),
    W4(dec, K_UNARY | K_BOTHF, FL_ALL),
};

void test_main(void) {
  put_str("# flags_add: op initflags a [b] -> result flags&defined\n");
  run_alu_cases(cases, (int)ARRAY_LEN(cases));
}
