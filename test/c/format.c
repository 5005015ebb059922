/* format.c — program-style code: a printf-like formatter driven by an argument array, integer parsing with base detection, base64, and a recursive-descent expression evaluator. */
#include "harness.h"

/* ---- formatter: %[-+0 #][width][.prec][hh|h|l|ll](d|i|u|x|X|o|c|s|%) ---- */
struct out {
  char *buf;
  usize cap, len;
};
static void emit(struct out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static NOINLINE usize format(char *buf, usize cap, const char *fmt, const u64 *args) {
  struct out o = {buf, cap, 0};
  int ai = 0;
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      emit(&o, *p);
      continue;
    }
    p++;
    int left = 0, plus = 0, space = 0, zero = 0, alt = 0;
    for (;; p++) {
      if (*p == '-') left = 1;
      else if (*p == '+') plus = 1;
      else if (*p == ' ') space = 1;
      else if (*p == '0') zero = 1;
      else if (*p == '#') alt = 1;
      else break;
    }
    int width = 0, prec = -1;
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == '.') {
      p++;
      prec = 0;
      while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
    }
    int size = 32; /* bits */
    if (*p == 'h') {
      p++;
      size = 16;
      if (*p == 'h') {
        p++;
        size = 8;
      }
    } else if (*p == 'l') {
      p++;
      size = 64;
      if (*p == 'l') p++;
    }
    char conv = *p;
    if (conv == '%') {
      emit(&o, '%');
      continue;
    }
    if (conv == 0) break;
    u64 v = args[ai++];
    char tmp[70];
    int n = 0;
    const char *str = tmp;
    char sign = 0;
    const char *prefix = "";
    if (conv == 's') {
      str = (const char *)(usize)v;
      while (str[n] && (prec < 0 || n < prec)) n++;
      zero = 0;
    } else if (conv == 'c') {
      tmp[0] = (char)v;
      n = 1;
      zero = 0;
    } else {
      int is_signed = conv == 'd' || conv == 'i';
      u64 mag;
      if (is_signed) {
        s64 s = size == 8 ? (s64)(s8)v : size == 16 ? (s64)(s16)v : size == 32 ? (s64)(s32)v : (s64)v;
        if (s < 0) {
          sign = '-';
          mag = 0 - (u64)s;
        } else {
          sign = plus ? '+' : space ? ' ' : 0;
          mag = (u64)s;
        }
      } else {
        mag = size == 64 ? v : v & ((1ull << size) - 1);
      }
      unsigned base = (conv == 'x' || conv == 'X') ? 16 : conv == 'o' ? 8 : 10;
      const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      char rev[70];
      int r = 0;
      while (mag) {
        rev[r++] = digits[mag % base];
        mag /= base;
      }
      while (r < prec) rev[r++] = '0';
      if (r == 0 && prec != 0) rev[r++] = '0';
      for (int i = 0; i < r; i++) tmp[i] = rev[r - 1 - i];
      n = r;
      if (alt && base == 16 && v) prefix = conv == 'X' ? "0X" : "0x";
      if (alt && base == 8 && tmp[0] != '0') prefix = "0";
      if (prec >= 0) zero = 0;
    }
    int plen = 0;
    while (prefix[plen]) plen++;
    int total = n + plen + (sign ? 1 : 0);
    int pad = width > total ? width - total : 0;
    if (!left && !zero)
      while (pad-- > 0) emit(&o, ' ');
    if (sign) emit(&o, sign);
    for (int i = 0; i < plen; i++) emit(&o, prefix[i]);
    if (!left && zero)
      while (pad-- > 0) emit(&o, '0');
    for (int i = 0; i < n; i++) emit(&o, str[i]);
    if (left)
      while (pad-- > 0) emit(&o, ' ');
  }
  if (o.cap) o.buf[o.len < o.cap ? o.len : o.cap - 1] = 0;
  return o.len;
}

/* ---- integer parsing like kstrtoull/simple_strtoll ---- */
static NOINLINE int parse_s64(const char *s, s64 *out, const char **end) {
  int neg = 0;
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  } else if (s[0] == '0' && s[1] >= '0' && s[1] <= '7') {
    base = 8;
    s++;
  } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s += 2;
  }
  u64 v = 0;
  int any = 0, overflow = 0;
  for (;; s++) {
    unsigned d;
    char c = *s;
    if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
    else break;
    if (d >= base) break;
    u64 nv;
    if (__builtin_mul_overflow(v, (u64)base, &nv) || __builtin_add_overflow(nv, (u64)d, &nv)) overflow = 1;
    v = nv;
    any = 1;
  }
  *end = s;
  *out = neg ? (s64)(0 - v) : (s64)v;
  if (!any) return -22;
  return overflow ? -34 : 0;
}

/* ---- base64 ---- */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static NOINLINE usize b64_encode(char *dst, const u8 *src, usize n) {
  usize o = 0;
  for (usize i = 0; i < n; i += 3) {
    u32 v = (u32)src[i] << 16;
    if (i + 1 < n) v |= (u32)src[i + 1] << 8;
    if (i + 2 < n) v |= src[i + 2];
    dst[o++] = b64[(v >> 18) & 63];
    dst[o++] = b64[(v >> 12) & 63];
    dst[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    dst[o++] = i + 2 < n ? b64[v & 63] : '=';
  }
  dst[o] = 0;
  return o;
}
static int b64_val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
static NOINLINE long b64_decode(u8 *dst, const char *src) {
  long o = 0;
  u32 acc = 0;
  int bits = 0;
  for (; *src && *src != '='; src++) {
    int v = b64_val(*src);
    if (v < 0) return -1;
    acc = (acc << 6) | (u32)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      dst[o++] = (u8)(acc >> bits);
    }
  }
  return o;
}

/* ---- expression evaluator: + - * / % & | ^ << >> unary - ~ and parentheses ---- */
struct parser {
  const char *p;
  int err;
};
static s64 parse_expr(struct parser *ps, int min_prec);
static void skip_ws(struct parser *ps) {
  while (*ps->p == ' ') ps->p++;
}
static NOINLINE s64 parse_atom(struct parser *ps) {
  skip_ws(ps);
  char c = *ps->p;
  if (c == '(') {
    ps->p++;
    s64 v = parse_expr(ps, 0);
    skip_ws(ps);
    if (*ps->p == ')') ps->p++;
    else ps->err = 1;
    return v;
  }
  if (c == '-') {
    ps->p++;
    return (s64)(0 - (u64)parse_atom(ps));
  }
  if (c == '~') {
    ps->p++;
    return ~parse_atom(ps);
  }
  s64 v;
  const char *end;
  if (parse_s64(ps->p, &v, &end) != 0) {
    ps->err = 1;
    return 0;
  }
  ps->p = end;
  return v;
}
static int binop_prec(const char *p, int *len) {
  *len = 1;
  switch (p[0]) {
  case '|': return 1;
  case '^': return 2;
  case '&': return 3;
  case '<': if (p[1] == '<') { *len = 2; return 4; } return -1;
  case '>': if (p[1] == '>') { *len = 2; return 4; } return -1;
  case '+': case '-': return 5;
  case '*': case '/': case '%': return 6;
  default: return -1;
  }
}
static s64 parse_expr(struct parser *ps, int min_prec) {
  s64 lhs = parse_atom(ps);
  for (;;) {
    skip_ws(ps);
    int len;
    int prec = binop_prec(ps->p, &len);
    if (prec < 0 || prec < min_prec) return lhs;
    char op = *ps->p;
    ps->p += len;
    s64 rhs = parse_expr(ps, prec + 1);
    u64 a = (u64)lhs, b = (u64)rhs;
    switch (op) {
    case '|': lhs = (s64)(a | b); break;
    case '^': lhs = (s64)(a ^ b); break;
    case '&': lhs = (s64)(a & b); break;
    case '<': lhs = (s64)(a << (b & 63)); break;
    case '>': lhs = lhs >> (b & 63); break;
    case '+': lhs = (s64)(a + b); break;
    case '-': lhs = (s64)(a - b); break;
    case '*': lhs = (s64)(a * b); break;
    case '/':
    case '%':
      if (rhs == 0 || (lhs == (-9223372036854775807ll - 1) && rhs == -1)) {
        ps->err = 2;
        return 0;
      }
      lhs = op == '/' ? lhs / rhs : lhs % rhs;
      break;
    }
  }
}

struct fmt_case {
  const char *fmt;
  u64 args[4];
};

void test_main(void) {
  static const struct fmt_case fc[] = {
      {"[%d] [%i] [%u]", {(u64)-42, 7, (u64)-1}},
      {"[%5d] [%-5d] [%05d] [%+d]", {42, 42, 42, 42}},
      {"[% d] [%+d] [%x] [%X]", {9, (u64)-9, 0xdeadbeef, 0xdeadbeef}},
      {"[%#x] [%#o] [%o] [%#X]", {255, 8, 0, 0}},
      {"[%lld] [%llu] [%llx]", {0x8000000000000000ull, 0xffffffffffffffffull, 0x0123456789abcdefull}},
      {"[%hhd] [%hd] [%hhu] [%hx]", {0x1ff, 0x18000, 0x1ff, 0xabcdef}},
      {"[%.3d] [%8.3d] [%-8.3x|] [%.0d]", {5, (u64)-5, 0xa, 0}},
      {"[%s] [%8s] [%-8s] [%.2s]", {0, 0, 0, 0}},
      {"[%c%c%c] [%%] [%3c]", {'f', 't', 'r', 'x'}},
      {"[%020lld] [%-20lld|]", {(u64)-1234567890123ll, 1234567890123ull}},
      {"[%ld] [%lu] [%#lx]", {(u64)(-9223372036854775807ll - 1), 0, 1}},
  };
  static const char *const strs[] = {"ftrace", "nop", "function_graph", "x"};
  char buf[128];
  put_str("# formatter\n");
  for (unsigned i = 0; i < ARRAY_LEN(fc); i++) {
    u64 args[4];
    for (int k = 0; k < 4; k++) args[k] = fc[i].args[k];
    if (i == 7)
      for (int k = 0; k < 4; k++) args[k] = (u64)(usize)strs[k];
    usize n = format(buf, sizeof buf, fc[i].fmt, args);
    put_u64(n);
    put_sp();
    put_str(buf);
    put_nl();
  }
  /* truncation */
  u64 targs[1] = {1234567};
  usize n = format(buf, 6, "value=%d", targs);
  put_str("trunc ");
  put_u64(n);
  put_sp();
  put_str(buf);
  put_nl();

  put_str("# parse\n");
  static const char *const nums[] = {"0", "42", "-42", "0x7fffffffffffffff", "0xFFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFF",
                                     "0777", "0b1011", "  +19z", "-0x8000000000000000", "18446744073709551615",
                                     "18446744073709551616", "abc", "-", "09"};
  for (unsigned i = 0; i < ARRAY_LEN(nums); i++) {
    s64 v;
    const char *end;
    int rc = parse_s64(nums[i], &v, &end);
    put_str(nums[i]);
    put_str(" -> ");
    put_i64(rc);
    put_sp();
    put_i64(v);
    put_str(" rest=");
    put_str(end);
    put_nl();
  }

  put_str("# base64\n");
  static const char *const texts[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar",
                                      "echo function_graph > current_tracer"};
  for (unsigned i = 0; i < ARRAY_LEN(texts); i++) {
    char enc[128];
    u8 dec[128];
    usize len = 0;
    while (texts[i][len]) len++;
    b64_encode(enc, (const u8 *)texts[i], len);
    long dl = b64_decode(dec, enc);
    int same = dl == (long)len;
    for (long k = 0; same && k < dl; k++) same = dec[k] == (u8)texts[i][k];
    put_str(enc);
    put_sp();
    put_i64(dl);
    put_sp();
    put_u64((u64)same);
    put_nl();
  }

  put_str("# expressions\n");
  static const char *const exprs[] = {"1 + 2 * 3", "(1 + 2) * 3", "-7 / 2", "-7 % 2", "7 % -2",
                                      "1 << 63", "(1 << 63) >> 63", "~0 & 0xff", "0x10 | 0x01 ^ 0x11",
                                      "100 - 1 - 2 - 3", "2 * (3 + 4) * (5 - 6)", "1 / 0", "-0x8000000000000000 / -1",
                                      "((((((1+1)*2)+1)*2)+1)*2)", "0777 + 0b101 - 0x1f", "12 + ( 3", "9223372036854775807 + 1"};
  for (unsigned i = 0; i < ARRAY_LEN(exprs); i++) {
    struct parser ps = {exprs[i], 0};
    s64 v = parse_expr(&ps, 0);
    put_str(exprs[i]);
    put_str(" = ");
    if (ps.err) {
      put_str("error ");
      put_i64(ps.err);
    } else {
      put_i64(v);
    }
    put_nl();
  }
}
