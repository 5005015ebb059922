/* arith.c — signed and unsigned C arithmetic at every width on edge values: add/sub/mul/neg/not/and/or/xor, lea-style multiplies, and every widening/narrowing conversion. */
#include "alu.h"

/* Signed ops go through the unsigned type so that wrap-around is defined; the
 * instructions gcc picks are the same. */
#define C_ARITH(T, U, W)                                                                   \
  static NOINLINE T add_##T(T a, T b) { return (T)((U)a + (U)b); }                         \
  static NOINLINE T sub_##T(T a, T b) { return (T)((U)a - (U)b); }                         \
  static NOINLINE T mul_##T(T a, T b) { return (T)((U)a * (U)b); }                         \
  static NOINLINE T and_##T(T a, T b) { return (T)(a & b); }                               \
  static NOINLINE T or_##T(T a, T b) { return (T)(a | b); }                                \
  static NOINLINE T xor_##T(T a, T b) { return (T)(a ^ b); }                               \
  static NOINLINE T andn_##T(T a, T b) { return (T)(a & ~b); }                             \
  static NOINLINE T madd_##T(T a, T b) { return (T)((U)a * 5u + (U)b * 8u + 3u); }         \
  static NOINLINE T neg_##T(T a) { return (T)(0 - (U)a); }                                 \
  static NOINLINE T not_##T(T a) { return (T)~a; }                                         \
  static NOINLINE T mulk_##T(T a, int k) {                                                 \
    switch (k) {                                                                           \
    case 0: return (T)((U)a * 3u);                                                         \
    case 1: return (T)((U)a * 9u);                                                         \
    case 2: return (T)((U)a * 10u);                                                        \
    case 3: return (T)((U)a * 0x7fu);                                                      \
    case 4: return (T)((U)a * (U)-1);                                                      \
    case 5: return (T)((U)a * (U)0x12345679u);                                             \
    default: return (T)((U)a * (U)0xfffffff3u);                                            \
    }                                                                                      \
  }                                                                                        \
  static NOINLINE void pair_line_##T(const char *name, T a, T b) {                         \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)(U)a, W);                                                                \
    put_sp();                                                                              \
    put_hexw((u64)(U)b, W);                                                                \
    put_str(" +");                                                                         \
    put_hexw((u64)(U)add_##T(a, b), W);                                                    \
    put_str(" -");                                                                         \
    put_hexw((u64)(U)sub_##T(a, b), W);                                                    \
    put_str(" *");                                                                         \
    put_hexw((u64)(U)mul_##T(a, b), W);                                                    \
    put_str(" &");                                                                         \
    put_hexw((u64)(U)and_##T(a, b), W);                                                    \
    put_str(" |");                                                                         \
    put_hexw((u64)(U)or_##T(a, b), W);                                                     \
    put_str(" ^");                                                                         \
    put_hexw((u64)(U)xor_##T(a, b), W);                                                    \
    put_str(" &~");                                                                        \
    put_hexw((u64)(U)andn_##T(a, b), W);                                                   \
    put_str(" m");                                                                         \
    put_hexw((u64)(U)madd_##T(a, b), W);                                                   \
    put_nl();                                                                              \
  }

C_ARITH(u8, u8, 8)
C_ARITH(s8, u8, 8)
C_ARITH(u16, u16, 16)
C_ARITH(s16, u16, 16)
C_ARITH(u32, u32, 32)
C_ARITH(s32, u32, 32)
C_ARITH(u64, u64, 64)
C_ARITH(s64, u64, 64)

/* Conversions: every source type to every destination type, through noinline
 * functions so each is a real movzx/movsx/mov/cltq/... */
#define CONV_FROM(S)                                                                       \
  static NOINLINE u8 S##_to_u8(S v) { return (u8)v; }                                      \
  static NOINLINE s8 S##_to_s8(S v) { return (s8)v; }                                      \
  static NOINLINE u16 S##_to_u16(S v) { return (u16)v; }                                   \
  static NOINLINE s16 S##_to_s16(S v) { return (s16)v; }                                   \
  static NOINLINE u32 S##_to_u32(S v) { return (u32)v; }                                   \
  static NOINLINE s32 S##_to_s32(S v) { return (s32)v; }                                   \
  static NOINLINE u64 S##_to_u64(S v) { return (u64)v; }                                   \
  static NOINLINE s64 S##_to_s64(S v) { return (s64)v; }                                   \
  static NOINLINE void conv_line_##S(const char *name, S v, int bits) {                    \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)v & width_mask(bits), bits);                                             \
    put_str(" conv");                                                                      \
    put_sp();                                                                              \
    put_hex((u64)S##_to_u8(v), 2);                                                         \
    put_sp();                                                                              \
    put_hex((u64)(s64)S##_to_s8(v), 16);                                                   \
    put_sp();                                                                              \
    put_hex((u64)S##_to_u16(v), 4);                                                        \
    put_sp();                                                                              \
    put_hex((u64)(s64)S##_to_s16(v), 16);                                                  \
    put_sp();                                                                              \
    put_hex((u64)S##_to_u32(v), 8);                                                        \
    put_sp();                                                                              \
    put_hex((u64)(s64)S##_to_s32(v), 16);                                                  \
    put_sp();                                                                              \
    put_hex(S##_to_u64(v), 16);                                                            \
    put_sp();                                                                              \
    put_hex((u64)S##_to_s64(v), 16);                                                       \
    put_nl();                                                                              \
  }
CONV_FROM(u8)
CONV_FROM(s8)
CONV_FROM(u16)
CONV_FROM(s16)
CONV_FROM(u32)
CONV_FROM(s32)
CONV_FROM(u64)
CONV_FROM(s64)

#define UNARY_LINE(T, U, W, name, v)                                                       \
  do {                                                                                     \
    T x_ = (T)(v);                                                                         \
    put_str(name);                                                                         \
    put_sp();                                                                              \
    put_hexw((u64)(U)x_, W);                                                               \
    put_str(" neg=");                                                                      \
    put_hexw((u64)(U)neg_##T(x_), W);                                                      \
    put_str(" not=");                                                                      \
    put_hexw((u64)(U)not_##T(x_), W);                                                      \
    put_str(" k");                                                                         \
    for (int k_ = 0; k_ < 7; k_++) {                                                       \
      put_sp();                                                                            \
      put_hexw((u64)(U)mulk_##T(x_, k_), W);                                               \
    }                                                                                      \
    put_nl();                                                                              \
  } while (0)

/* Mixed-width expressions: C's usual arithmetic conversions at work. */
static NOINLINE s64 mixed1(s8 a, u16 b, s32 c, u64 d) { return (s64)(a * b + c) + (s64)(d >> 3); }
static NOINLINE u64 mixed2(u8 a, s16 b, u32 c, s64 d) { return (u64)(a - b) * c + (u64)d; }
static NOINLINE s32 mixed3(s8 a, s8 b) { return a * b; }
static NOINLINE u32 mixed4(u32 a, s32 b) { return a + (u32)b * 2u; }
static NOINLINE s64 mixed5(s32 a, s32 b) { return (s64)a * b; }
static NOINLINE u64 mixed6(u32 a, u32 b) { return (u64)a * b; }
static NOINLINE s32 mixed7(u8 a, s8 b) { return (a < b) + (a == (u8)b) * 2; }
static NOINLINE u16 mixed8(u16 a, u16 b) { return (u16)(a * b); }

void test_main(void) {
  put_str("# arith pairs: type a b +sum -diff *prod &and |or ^xor &~andn m(a*5+b*8+3)\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j++) {
      pair_line_u8("u8", (u8)edge8[i], (u8)edge8[j]);
      pair_line_s8("s8", (s8)edge8[i], (s8)edge8[j]);
      pair_line_u16("u16", (u16)edge16[i], (u16)edge16[j]);
      pair_line_s16("s16", (s16)edge16[i], (s16)edge16[j]);
      pair_line_u32("u32", (u32)edge32[i], (u32)edge32[j]);
      pair_line_s32("s32", (s32)edge32[i], (s32)edge32[j]);
      pair_line_u64("u64", edge64[i], edge64[j]);
      pair_line_s64("s64", (s64)edge64[i], (s64)edge64[j]);
    }
  }
  put_str("# unary: type a neg not k: *3 *9 *10 *0x7f *-1 *0x12345679 *0xfffffff3\n");
  for (int i = 0; i < EDGE_N; i++) {
    UNARY_LINE(u8, u8, 8, "u8", edge8[i]);
    UNARY_LINE(s8, u8, 8, "s8", edge8[i]);
    UNARY_LINE(u16, u16, 16, "u16", edge16[i]);
    UNARY_LINE(s16, u16, 16, "s16", edge16[i]);
    UNARY_LINE(u32, u32, 32, "u32", edge32[i]);
    UNARY_LINE(s32, u32, 32, "s32", edge32[i]);
    UNARY_LINE(u64, u64, 64, "u64", edge64[i]);
    UNARY_LINE(s64, u64, 64, "s64", edge64[i]);
  }
  put_str("# conversions: type v -> u8 s8(as s64) u16 s16 u32 s32 u64 s64\n");
  for (int i = 0; i < EDGE_N; i++) {
    conv_line_u8("u8", (u8)edge8[i], 8);
    conv_line_s8("s8", (s8)edge8[i], 8);
    conv_line_u16("u16", (u16)edge16[i], 16);
    conv_line_s16("s16", (s16)edge16[i], 16);
    conv_line_u32("u32", (u32)edge32[i], 32);
    conv_line_s32("s32", (s32)edge32[i], 32);
    conv_line_u64("u64", edge64[i], 64);
    conv_line_s64("s64", (s64)edge64[i], 64);
    /* narrowing from the 64-bit table too */
    conv_line_u64("u64w", edge64[(i + 3) % EDGE_N] ^ edge64[i], 64);
  }
  put_str("# mixed-width expressions\n");
  for (int i = 0; i < EDGE_N; i++) {
    for (int j = 0; j < EDGE_N; j += 2) {
      put_hex((u64)mixed1((s8)edge8[i], (u16)edge16[j], (s32)edge32[i], edge64[j]), 16);
      put_sp();
      put_hex(mixed2((u8)edge8[j], (s16)edge16[i], (u32)edge32[j], (s64)edge64[i]), 16);
      put_sp();
      put_hex((u64)(u32)mixed3((s8)edge8[i], (s8)edge8[j]), 8);
      put_sp();
      put_hex(mixed4((u32)edge32[i], (s32)edge32[j]), 8);
      put_sp();
      put_hex((u64)mixed5((s32)edge32[i], (s32)edge32[j]), 16);
      put_sp();
      put_hex(mixed6((u32)edge32[i], (u32)edge32[j]), 16);
      put_sp();
      put_hex((u64)(u32)mixed7((u8)edge8[i], (s8)edge8[j]), 8);
      put_sp();
      put_hex(mixed8((u16)edge16[i], (u16)edge16[j]), 4);
      put_nl();
    }
  }
}
