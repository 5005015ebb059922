/* switch.c — jump tables: dense switches on several selector types (with out-of-range values), negative bases, sparse and bit-test switches, computed goto, and a small bytecode interpreter. */
#include "harness.h"

/* dense, int selector, 0..31; every case computes something different from y so
 * gcc cannot turn the switch into a value table */
static NOINLINE u64 sw_int(int x, u64 y) {
  switch (x) {
  case 0: return y + 1;
  case 1: return y * 3;
  case 2: return y ^ 0x5555;
  case 3: return y << 3;
  case 4: return y >> 5;
  case 5: return ~y;
  case 6: return y - 0x1000;
  case 7: return y * y;
  case 8: return y & 0xff00ff;
  case 9: return y | 0x8000000000000000ull;
  case 10: return (u64)((s64)y >> 7);
  case 11: return y / 3;
  case 12: return y % 10;
  case 13: return y + (u64)x;
  case 14: return (y << 13) | (y >> 51);
  case 15: return y * 0x9e3779b97f4a7c15ull;
  case 16: return 0 - y;
  case 17: return y + y + y + y + 17;
  case 18: return y ^ (y >> 31);
  case 19: return (u64)__builtin_bswap64(y);
  case 20: return y & (y - 1);
  case 21: return y < 100 ? 1 : 2;
  case 22: return (u32)y;
  case 23: return (u16)y;
  case 24: return (u64)(s8)y;
  case 25: return y * 25 + 3;
  case 26: return y - (y >> 1);
  case 27: return y ? y - 1 : 77;
  case 28: return y == 0;
  case 29: return (y & 7) << 29;
  case 30: return y / 1000;
  case 31: return y * 31;
  default: return 0xdefa;
  }
}

/* dense, unsigned char selector, 'a'..'z' with fallthrough */
static NOINLINE u32 sw_char(u8 c) {
  u32 r = 0;
  switch (c) {
  case 'a': r += 1; /* fall through */
  case 'b': r += 2; break;
  case 'c': r = 30; break;
  case 'd': r = 40; break;
  case 'e': r = 50; /* fall through */
  case 'f': r += 6; break;
  case 'g': r = 70; break;
  case 'h': r = 80; break;
  case 'i': r = 90; break;
  case 'j': r = 100; break;
  case 'k': r = 110; break;
  case 'l': r = 120; break;
  case 'm': r = 130; break;
  case 'n': r = 140; break;
  case 'o': r = 150; break;
  case 'p': r = 160; /* fall through */
  case 'q': r += 170; break;
  case 'r': r = 180; break;
  case 's': r = 190; break;
  case 't': r = 200; break;
  case 'u': r = 210; break;
  case 'v': r = 220; break;
  case 'w': r = 230; break;
  case 'x': r = 240; break;
  case 'y': r = 250; break;
  case 'z': r = 260; break;
  default: r = 999;
  }
  return r;
}

/* dense, negative base, long selector */
static NOINLINE s64 sw_neg(s64 x, s64 y) {
  switch (x) {
  case -8: return y * -8;
  case -7: return y - 7;
  case -6: return y ^ -6;
  case -5: return y / 5;
  case -4: return y % 4;
  case -3: return -y;
  case -2: return y >> 2;
  case -1: return y & 1;
  case 0: return y | 0x100;
  case 1: return y + 1;
  case 2: return y * y;
  case 3: return y * 3 + 1;
  case 4: return y - 400;
  case 5: return y < 0;
  case 6: return y > 6 ? 6 : y;
  case 7: return y * 7;
  case 8: return y / -8;
  case 9: return y % 9;
  default: return 12345;
  }
}

/* dense, u64 selector with a large base */
static NOINLINE u64 sw_u64(u64 x, u64 y) {
  switch (x) {
  case 0x100000000ull: return y + 1;
  case 0x100000001ull: return y * 2;
  case 0x100000002ull: return y ^ 3;
  case 0x100000003ull: return y << 5;
  case 0x100000004ull: return y >> 7;
  case 0x100000005ull: return y * 11;
  case 0x100000006ull: return y - 13;
  case 0x100000007ull: return y / 17;
  case 0x100000008ull: return y % 19;
  case 0x100000009ull: return ~y;
  case 0x10000000aull: return y & 29;
  default: return 0;
  }
}

/* enum selector with gaps (still a table) */
enum op { OP_NOP = 2, OP_ADD = 3, OP_SUB = 4, OP_MUL = 6, OP_XOR = 7, OP_SHL = 9, OP_NEG = 10,
          OP_MAX = 11, OP_MIN = 12, OP_AND = 14 };
static NOINLINE s64 sw_enum(enum op o, s64 a, s64 b) {
  switch (o) {
  case OP_NOP: return a;
  case OP_ADD: return a + b;
  case OP_SUB: return a - b;
  case OP_MUL: return a * b;
  case OP_XOR: return a ^ b;
  case OP_SHL: return (s64)((u64)a << (b & 63));
  case OP_NEG: return -a;
  case OP_MAX: return a > b ? a : b;
  case OP_MIN: return a < b ? a : b;
  case OP_AND: return a & b;
  }
  return -1;
}

/* sparse: a compare tree */
static NOINLINE int sw_sparse(u32 x) {
  switch (x) {
  case 1: return 1;
  case 100: return 2;
  case 1000: return 3;
  case 4096: return 4;
  case 65535: return 5;
  case 65536: return 6;
  case 1000000: return 7;
  case 0x7fffffff: return 8;
  case 0x80000000u: return 9;
  case 0xffffffffu: return 10;
  default: return 0;
  }
}

/* few targets, many cases: gcc lowers this to a bit test (bt with a mask) */
static NOINLINE int sw_bits(u32 c) {
  switch (c) {
  case 0: case 3: case 5: case 9: case 17: case 30: case 31: case 40: case 47: case 50: case 63:
    return 1;
  case 1: case 2: case 10: case 20: case 33: case 44: case 55: case 60:
    return 2;
  default:
    return 0;
  }
}

/* computed goto */
static NOINLINE u64 run_threaded(const u8 *code, u64 acc) {
  static void *const labels[] = {&&op_halt, &&op_inc, &&op_dbl, &&op_sq, &&op_xor, &&op_rot};
  const u8 *pc = code;
#define NEXT goto *labels[*pc++ % 6]
  NEXT;
op_inc:
  acc += 1;
  NEXT;
op_dbl:
  acc *= 2;
  NEXT;
op_sq:
  acc *= acc;
  NEXT;
op_xor:
  acc ^= 0x5a5a5a5a5a5a5a5aull;
  NEXT;
op_rot:
  acc = (acc << 7) | (acc >> 57);
  NEXT;
op_halt:
#undef NEXT
  return acc;
}

/* a small stack machine with a switch dispatch loop */
enum { B_PUSH, B_ADD, B_SUB, B_MUL, B_DUP, B_SWAP, B_JNZ, B_DEC, B_PRINT, B_HALT, B_DIVU, B_MOD, B_LOAD, B_STORE };
static NOINLINE void run_bytecode(const s32 *prog) {
  s64 stack[32];
  s64 slots[4] = {0, 0, 0, 0};
  int sp = 0;
  int pc = 0;
  for (int steps = 0; steps < 100000; steps++) {
    s32 ins = prog[pc++];
    switch (ins) {
    case B_PUSH: stack[sp++] = prog[pc++]; break;
    case B_ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case B_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
    case B_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case B_DUP: stack[sp] = stack[sp - 1]; sp++; break;
    case B_SWAP: { s64 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
    case B_JNZ: { s32 to = prog[pc++]; if (stack[--sp] != 0) pc = to; break; }
    case B_DEC: stack[sp - 1]--; break;
    case B_PRINT: put_str("vm "); put_i64(stack[sp - 1]); put_nl(); break;
    case B_DIVU: sp--; stack[sp - 1] = (s64)((u64)stack[sp - 1] / (u64)stack[sp]); break;
    case B_MOD: sp--; stack[sp - 1] = stack[sp - 1] % stack[sp]; break;
    case B_LOAD: stack[sp++] = slots[prog[pc++] & 3]; break;
    case B_STORE: slots[prog[pc++] & 3] = stack[--sp]; break;
    case B_HALT: return;
    default: put_str("vm bad opcode\n"); return;
    }
  }
  put_str("vm step limit\n");
}

void test_main(void) {
  put_str("# sw_int x -> value (including out-of-range selectors)\n");
  for (int x = -3; x <= 34; x++) {
    put_i64(x);
    put_char(':');
    put_hex(sw_int(x, 0x0123456789abcdefull + (u64)x), 16);
    put_char(x % 4 == 0 ? '\n' : ' ');
  }
  static const int far[] = {-2147483647 - 1, 2147483647, 256, 1 << 20, -32};
  for (unsigned i = 0; i < ARRAY_LEN(far); i++) {
    put_i64(far[i]);
    put_char(':');
    put_hex(sw_int(far[i], 5), 16);
    put_sp();
  }
  put_nl();
  put_str("# sw_char\n");
  for (int c = 0x5c; c < 0x80; c++) {
    put_u64(sw_char((u8)c));
    put_sp();
  }
  put_u64(sw_char(0));
  put_sp();
  put_u64(sw_char(0x41));
  put_sp();
  put_u64(sw_char(0xe1));
  put_sp();
  put_u64(sw_char(0xff));
  put_nl();
  put_str("# sw_neg\n");
  static const s64 negs[] = {-9223372036854775807ll - 1, -4294967296ll, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1,
                             0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 4294967296ll, 9223372036854775807ll};
  for (unsigned i = 0; i < ARRAY_LEN(negs); i++) {
    put_i64(sw_neg(negs[i], -1000003));
    put_sp();
    put_i64(sw_neg(negs[i], 77));
    put_sp();
  }
  put_nl();
  put_str("# sw_u64\n");
  for (u64 x = 0xfffffffdull; x < 0x10000000dull; x++) {
    put_hex(sw_u64(x, 0xfedcba9876543210ull), 16);
    put_sp();
  }
  put_u64(sw_u64(0, 1));
  put_sp();
  put_u64(sw_u64(0x200000003ull, 1));
  put_sp();
  put_u64(sw_u64(0x3ull, 1));
  put_nl();
  put_str("# sw_enum\n");
  for (int o = 0; o < 16; o++) {
    put_i64(sw_enum((enum op)o, -77, 5));
    put_sp();
    put_i64(sw_enum((enum op)o, 0x123456789ll, -3));
    put_nl();
  }
  put_str("# sw_sparse\n");
  static const u32 sp[] = {0, 1, 2, 99, 100, 101, 1000, 4095, 4096, 65535, 65536, 65537, 1000000,
                           0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  for (unsigned i = 0; i < ARRAY_LEN(sp); i++) {
    put_u64((u64)sw_sparse(sp[i]));
    put_sp();
  }
  put_nl();
  put_str("# sw_bits\n");
  for (u32 c = 0; c < 70; c++) put_u64((u64)sw_bits(c));
  put_u64((u64)sw_bits(0xffffffffu));
  put_u64((u64)sw_bits(64 + 3));
  put_nl();
  put_str("# computed goto\n");
  static const u8 code1[] = {1, 2, 2, 3, 4, 5, 1, 3, 5, 5, 2, 4, 0};
  static const u8 code2[] = {5, 5, 5, 3, 3, 1, 2, 4, 4, 1, 0};
  put_hex(run_threaded(code1, 3), 16);
  put_sp();
  put_hex(run_threaded(code2, 0x123456789abcdefull), 16);
  put_nl();
  put_str("# bytecode\n");
  /* 20! with two variable slots */
  static const s32 fact[] = {
      B_PUSH, 1, B_STORE, 0, B_PUSH, 20, B_STORE, 1,
      /* 8 */ B_LOAD, 0, B_LOAD, 1, B_MUL, B_STORE, 0, B_LOAD, 1, B_DEC, B_DUP, B_STORE, 1, B_JNZ, 8,
      B_LOAD, 0, B_PRINT, B_HALT};
  run_bytecode(fact);
  static const s32 countdown[] = {
      B_PUSH, 10,
      /* 2 */ B_PRINT, B_DEC, B_DUP, B_JNZ, 2,
      B_PUSH, 1000000007, B_ADD, B_PUSH, 1000000007, B_MUL, B_PUSH, 7, B_DIVU, B_PRINT,
      B_PUSH, -17, B_MUL, B_PUSH, 1000, B_MOD, B_PRINT,
      B_PUSH, 123456789, B_PUSH, 987654321, B_MUL, B_PRINT, B_HALT};
  run_bytecode(countdown);
}
