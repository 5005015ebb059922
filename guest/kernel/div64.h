/* div64.h: include/linux/math64.h-alike: 64-bit division helpers */
#ifndef _DIV64_H
#define _DIV64_H

#include "kernel.h"

s64 div_s64_rem(s64 dividend, s32 divisor, s32 *remainder);
u64 div64_u64_rem(u64 dividend, u64 divisor, u64 *remainder);
s64 div64_s64(s64 dividend, s64 divisor);
int div_round_closest(int x, int divisor);
u64 mul_u64_u32_div(u64 x, u32 numer, u32 denom);

#endif /* _DIV64_H */
