/* dispatch.c — decoder corpus: switch jump tables (dense, sparse, nested), computed goto, state machines. */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

int syscall_dispatch(int nr, long a, long b) {
  switch (nr) {
  case 0: return (int)(a + b);
  case 1: return (int)(a - b);
  case 2: return (int)(a * b);
  case 3: return b ? (int)(a / b) : -22;
  case 4: return b ? (int)(a % b) : -22;
  case 5: return (int)(a & b);
  case 6: return (int)(a | b);
  case 7: return (int)(a ^ b);
  case 8: return (int)(a << (b & 63));
  case 9: return (int)(a >> (b & 63));
  case 10: return (int)((unsigned long)a >> (b & 63));
  case 11: return a < b;
  case 12: return a == b;
  case 13: return -a;
  case 14: return ~a;
  case 15: return !a;
  default: return -38;
  }
}

const char *errname(int err) {
  switch (err) {
  case 1: return "EPERM";
  case 2: return "ENOENT";
  case 3: return "ESRCH";
  case 4: return "EINTR";
  case 5: return "EIO";
  case 9: return "EBADF";
  case 11: return "EAGAIN";
  case 12: return "ENOMEM";
  case 13: return "EACCES";
  case 14: return "EFAULT";
  case 16: return "EBUSY";
  case 17: return "EEXIST";
  case 22: return "EINVAL";
  case 28: return "ENOSPC";
  case 38: return "ENOSYS";
  default: return "E?";
  }
}

int sparse_switch(u32 v) {
  switch (v) {
  case 0x10: return 1;
  case 0x200: return 2;
  case 0x3000: return 3;
  case 0x40000: return 4;
  case 0x500000: return 5;
  case 0x6000000: return 6;
  case 0x70000000: return 7;
  case 0xfffffff0: return 8;
  default: return 0;
  }
}

int char_class(u8 c) {
  switch (c) {
  case 'a' ... 'z': return 1;
  case 'A' ... 'Z': return 2;
  case '0' ... '9': return 3;
  case ' ': case '\t': case '\n': case '\r': return 4;
  case '.': case ',': case ';': case ':': return 5;
  case 0x80 ... 0xff: return 6;
  default: return 0;
  }
}

long byte_switch(signed char c, long x) {
  switch (c) {
  case -3: return x * 3;
  case -2: return x << 2;
  case -1: return -x;
  case 0: return 0;
  case 1: return x;
  case 2: return x + x;
  case 3: return x * 5;
  case 4: return x / 7;
  default: return c;
  }
}

enum tok { T_NUM, T_PLUS, T_MINUS, T_MUL, T_DIV, T_LP, T_RP, T_END, T_ERR };
long eval_rpn(const u8 *prog, int n) {
  long st[32];
  int sp = 0;
  for (int i = 0; i < n; i++) {
    switch (prog[i] >> 4) {
    case T_NUM: if (sp < 32) st[sp++] = prog[i] & 15; break;
    case T_PLUS: if (sp >= 2) { sp--; st[sp - 1] += st[sp]; } break;
    case T_MINUS: if (sp >= 2) { sp--; st[sp - 1] -= st[sp]; } break;
    case T_MUL: if (sp >= 2) { sp--; st[sp - 1] *= st[sp]; } break;
    case T_DIV: if (sp >= 2 && st[sp - 1]) { sp--; st[sp - 1] /= st[sp]; } break;
    case T_LP: case T_RP: break;
    case T_END: return sp ? st[sp - 1] : 0;
    default: return -1;
    }
  }
  return sp ? st[sp - 1] : 0;
}

int interp_goto(const u8 *code, int n) {
  static const void *labels[] = {&&op_inc, &&op_dec, &&op_dbl, &&op_neg, &&op_halt, &&op_nop, &&op_sq, &&op_half};
  int acc = 0, pc = 0;
  if (n <= 0) return 0;
#define NEXT() do { if (pc >= n) return acc; goto *labels[code[pc++] & 7]; } while (0)
  NEXT();
op_inc: acc++; NEXT();
op_dec: acc--; NEXT();
op_dbl: acc *= 2; NEXT();
op_neg: acc = -acc; NEXT();
op_nop: NEXT();
op_sq: acc *= acc; NEXT();
op_half: acc /= 2; NEXT();
op_halt: return acc;
#undef NEXT
}

enum state { S_IDLE, S_NUM, S_IDENT, S_STR, S_ESC, S_COMMENT };
int lex_count(const char *s) {
  enum state st = S_IDLE;
  int tokens = 0;
  for (; *s; s++) {
    char c = *s;
    switch (st) {
    case S_IDLE:
      if (c >= '0' && c <= '9') { st = S_NUM; tokens++; }
      else if ((c | 32) >= 'a' && (c | 32) <= 'z') { st = S_IDENT; tokens++; }
      else if (c == '"') { st = S_STR; tokens++; }
      else if (c == '#') st = S_COMMENT;
      break;
    case S_NUM: if (c < '0' || c > '9') st = S_IDLE; break;
    case S_IDENT: if (!((c | 32) >= 'a' && (c | 32) <= 'z') && c != '_') st = S_IDLE; break;
    case S_STR: if (c == '\\') st = S_ESC; else if (c == '"') st = S_IDLE; break;
    case S_ESC: st = S_STR; break;
    case S_COMMENT: if (c == '\n') st = S_IDLE; break;
    }
  }
  return tokens;
}

u64 nested_switch(int a, int b, u64 x) {
  switch (a) {
  case 0:
    switch (b) {
    case 0: return x;
    case 1: return x + 1;
    case 2: return x * 2;
    case 3: return x >> 1;
    case 4: return x ^ 0xff;
    default: return 0;
    }
  case 1:
    switch (b) {
    case 0: return ~x;
    case 1: return x | 1;
    case 2: return x & ~1ull;
    case 3: return x << 3;
    case 4: return x * 10;
    default: return 1;
    }
  case 2: return x - b;
  case 3: return x + b;
  case 4: return (u64)b << 32 | (u32)x;
  default: return 2;
  }
}

short short_switch(short s) {
  switch (s) {
  case 100: return 1;
  case 101: return 7;
  case 102: return 9;
  case 103: return -4;
  case 104: return 300;
  case 105: return 12;
  case 106: return 5;
  default: return s;
  }
}

void corpus_dispatch(void) {
  static const u8 prog[] = {0x01, 0x02, 0x10, 0x03, 0x30, 0x70};
  eval_rpn(prog, sizeof prog);
  interp_goto(prog, sizeof prog);
}
