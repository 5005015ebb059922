/* div64.c: lib/math/div64.c-alike: signed and unsigned 64-bit division helpers */
#include "kernel.h"
#include "div64.h"

s64 div_s64_rem(s64 dividend, s32 divisor, s32 *remainder)
{
	*remainder = (s32)(dividend % divisor);
	return dividend / divisor;
}

u64 div64_u64_rem(u64 dividend, u64 divisor, u64 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}

s64 div64_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}

/* Divide, rounding to the nearest integer (halves away from zero). */
int div_round_closest(int x, int divisor)
{
	if ((x > 0) == (divisor > 0))
		return (x + divisor / 2) / divisor;
	return (x - divisor / 2) / divisor;
}

/* x * numer / denom without overflowing the intermediate product. */
u64 mul_u64_u32_div(u64 x, u32 numer, u32 denom)
{
	u64 q = x / denom;
	u64 r = x % denom;

	return q * numer + r * numer / denom;
}
