/* recursion.c — calls: deep recursion (10000 frames), mutual recursion, Ackermann, function pointers and dispatch tables, struct returns (in registers and through memory), frame pointers and alloca (leave), many arguments. */
#include "harness.h"

/* ---- deep recursion: each frame keeps a small array live across the call ---- */
static NOINLINE u64 mix(volatile u64 *v, u64 n) { return v[0] * 31 + v[1] + n; }

static NOINLINE u64 deep(u32 n, u64 acc) {
  volatile u64 local[2];
  local[0] = n;
  local[1] = acc ^ (acc >> 7);
  if (n == 0) return acc;
  u64 r = deep(n - 1, acc * 6364136223846793005ull + n);
  return r ^ mix(local, n);
}

/* ---- mutual recursion that is not a tail call ---- */
static NOINLINE u64 odd_path(u32 n);
static NOINLINE u64 even_path(u32 n) {
  if (n == 0) return 1;
  return odd_path(n - 1) * 3 + n;
}
static NOINLINE u64 odd_path(u32 n) {
  if (n == 0) return 2;
  return even_path(n - 1) ^ ((u64)n << 17);
}

/* ---- classic recursive functions ---- */
static NOINLINE u64 ackermann(u64 m, u64 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ackermann(m - 1, 1);
  return ackermann(m - 1, ackermann(m, n - 1));
}
static NOINLINE u64 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static u64 hanoi_moves;
static u64 hanoi_hash;
static NOINLINE void hanoi(u32 n, u32 from, u32 to, u32 via) {
  if (n == 0) return;
  hanoi(n - 1, from, via, to);
  hanoi_moves++;
  hanoi_hash = hanoi_hash * 31 + from * 3 + to;
  hanoi(n - 1, via, to, from);
}

/* ---- function pointers and indirect calls ---- */
typedef u64 (*unop)(u64);
static NOINLINE u64 f_inc(u64 x) { return x + 1; }
static NOINLINE u64 f_dbl(u64 x) { return x * 2; }
static NOINLINE u64 f_sq(u64 x) { return x * x; }
static NOINLINE u64 f_rev(u64 x) { return __builtin_bswap64(x); }
static NOINLINE u64 f_not(u64 x) { return ~x; }
static unop ops_table[5] = {f_inc, f_dbl, f_sq, f_rev, f_not};

static NOINLINE u64 apply_chain(const u8 *idx, int n, u64 x) {
  for (int i = 0; i < n; i++) x = ops_table[idx[i] % 5](x);
  return x;
}
static NOINLINE u64 apply_via(unop f, u64 x) { return f(f(x)); }

/* a tiny "vtable" */
struct shape;
struct shape_ops {
  s64 (*area)(const struct shape *);
  s64 (*perimeter)(const struct shape *);
  const char *name;
};
struct shape {
  const struct shape_ops *ops;
  s64 a, b;
};
static NOINLINE s64 rect_area(const struct shape *s) { return s->a * s->b; }
static NOINLINE s64 rect_perim(const struct shape *s) { return 2 * (s->a + s->b); }
static NOINLINE s64 sq_area(const struct shape *s) { return s->a * s->a; }
static NOINLINE s64 sq_perim(const struct shape *s) { return 4 * s->a; }
static NOINLINE s64 tri_area(const struct shape *s) { return s->a * s->b / 2; }
static NOINLINE s64 tri_perim(const struct shape *s) { return s->a + s->b + (s->a > s->b ? s->a : s->b); }
static const struct shape_ops rect_ops = {rect_area, rect_perim, "rect"};
static const struct shape_ops square_ops = {sq_area, sq_perim, "square"};
static const struct shape_ops tri_ops = {tri_area, tri_perim, "tri"};

/* ---- struct returns ---- */
struct pair { u64 lo, hi; };          /* returned in rax:rdx */
struct small { u32 a; u16 b; u8 c; }; /* returned in rax */
struct big { u64 v[6]; };             /* returned through a hidden pointer */

static NOINLINE struct pair divmod(u64 a, u64 b) { return (struct pair){a / b, a % b}; }
static NOINLINE struct small pack(u32 x) { return (struct small){x * 3, (u16)(x >> 3), (u8)(x ^ 0x5a)}; }
static NOINLINE struct big make_big(u64 seed) {
  struct big r;
  for (int i = 0; i < 6; i++) {
    seed = seed * 2862933555777941757ull + 3037000493ull;
    r.v[i] = seed;
  }
  return r;
}
static NOINLINE struct big big_recursive(u32 n) {
  if (n == 0) return make_big(42);
  struct big r = big_recursive(n - 1);
  r.v[n % 6] ^= (u64)n * 0x9e3779b97f4a7c15ull;
  return r;
}

/* ---- many arguments: the rest go on the stack ---- */
static NOINLINE u64 many_args(u64 a, u32 b, u16 c, u8 d, s64 e, s32 f, s16 g, s8 h, u64 i, u64 j) {
  return a + (u64)b * 3 + (u64)c * 5 + (u64)d * 7 + (u64)e * 11 + (u64)(s64)f * 13 + (u64)(s64)g * 17 +
         (u64)(s64)h * 19 + i * 23 + j * 29;
}

/* ---- variable-size frames: gcc uses rbp and `leave` ---- */
static NOINLINE u64 vla_sum(u32 n) {
  u64 buf[n + 1];
  for (u32 i = 0; i <= n; i++) buf[i] = (u64)i * i + n;
  u64 s = 0;
  for (u32 i = 0; i <= n; i++) s += buf[i] ^ (s >> 3);
  return s;
}
static NOINLINE u64 vla_recursive(u32 depth) {
  u8 scratch[depth * 8 + 8];
  for (u32 i = 0; i < depth * 8 + 8; i++) scratch[i] = (u8)(i + depth);
  if (depth == 0) return scratch[0];
  return vla_recursive(depth - 1) * 3 + scratch[depth * 4];
}

void test_main(void) {
  put_str("deep(10000) ");
  put_hex(deep(10000, 1), 16);
  put_nl();
  put_str("deep(1) ");
  put_hex(deep(1, 1), 16);
  put_nl();
  put_str("even/odd ");
  put_hex(even_path(5000), 16);
  put_sp();
  put_hex(odd_path(4999), 16);
  put_nl();
  put_str("ackermann ");
  for (u64 m = 0; m <= 3; m++) {
    for (u64 n = 0; n <= 4; n++) {
      put_u64(ackermann(m, n));
      put_sp();
    }
  }
  put_u64(ackermann(2, 50));
  put_sp();
  put_u64(ackermann(3, 6));
  put_nl();
  put_str("fib ");
  for (u32 n = 0; n <= 24; n += 3) {
    put_u64(fib(n));
    put_sp();
  }
  put_nl();
  hanoi(14, 1, 3, 2);
  put_str("hanoi ");
  put_u64(hanoi_moves);
  put_sp();
  put_hex(hanoi_hash, 16);
  put_nl();

  static const u8 chain[] = {0, 1, 2, 3, 4, 0, 0, 2, 1, 3, 4, 4, 2, 2, 1, 0, 3};
  for (int n = 0; n <= (int)sizeof chain; n += 4) {
    put_str("chain ");
    put_u64((u64)n);
    put_sp();
    put_hex(apply_chain(chain, n, 0x123456789ull), 16);
    put_nl();
  }
  for (int k = 0; k < 5; k++) {
    put_str("via ");
    put_hex(apply_via(ops_table[k], 0xfedcba9876543210ull), 16);
    put_nl();
  }
  struct shape shapes[] = {{&rect_ops, 3, 4}, {&square_ops, 7, 0}, {&tri_ops, 6, 9}, {&rect_ops, -2, 5}};
  for (unsigned k = 0; k < ARRAY_LEN(shapes); k++) {
    put_str(shapes[k].ops->name);
    put_sp();
    put_i64(shapes[k].ops->area(&shapes[k]));
    put_sp();
    put_i64(shapes[k].ops->perimeter(&shapes[k]));
    put_nl();
  }

  static const u64 dm[][2] = {{100, 7}, {~0ull, 3}, {1ull << 63, 1000000007}, {5, 10}};
  for (unsigned k = 0; k < ARRAY_LEN(dm); k++) {
    struct pair p = divmod(dm[k][0], dm[k][1]);
    put_str("divmod ");
    put_u64(p.lo);
    put_sp();
    put_u64(p.hi);
    put_nl();
  }
  for (u32 x = 1; x < 100000; x *= 7) {
    struct small s = pack(x);
    put_str("pack ");
    put_u64(s.a);
    put_sp();
    put_u64(s.b);
    put_sp();
    put_u64(s.c);
    put_nl();
  }
  struct big b = big_recursive(200);
  put_str("big");
  for (int i = 0; i < 6; i++) {
    put_sp();
    put_hex(b.v[i], 16);
  }
  put_nl();
  put_str("args ");
  put_hex(many_args(1, 0xffffffffu, 0xffff, 0xff, -1, -2, -3, -4, 1ull << 63, 0x123456789abcdefull), 16);
  put_nl();
  put_str("vla ");
  for (u32 n = 0; n < 300; n += 37) {
    put_hex(vla_sum(n), 16);
    put_sp();
  }
  put_hex(vla_recursive(60), 16);
  put_nl();
}
