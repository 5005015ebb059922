/* strings.c — string instructions: gcc's rep movsq/stosq for struct copies and initialisations, explicit rep movs/stos at every element size and many lengths, overlap, and byte-loop string code. */
#include "harness.h"

#define BUF 8320 /* the largest op: 1000 qwords at offset 64+3 */
static u8 src_buf[BUF];
static u8 dst_buf[BUF];

static void fill(u8 *p, u64 n, u32 seed) {
  u32 x = seed;
  for (u64 i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (u8)(x >> 16);
  }
}

static void put_bytes(const u8 *p, u64 n) {
  for (u64 i = 0; i < n; i++) put_hex(p[i], 2);
}

/* ---- what gcc emits for big structs ---- */
struct blob256 { u64 w[32]; };
struct blob1k { u64 w[128]; };
struct blob4k { u64 w[512]; };
struct mixed { u32 id; u16 flags; u8 kind; u8 pad; u64 words[40]; char name[37]; };

static NOINLINE void copy256(struct blob256 *d, const struct blob256 *s) { *d = *s; }
static NOINLINE void copy1k(struct blob1k *d, const struct blob1k *s) { *d = *s; }
static NOINLINE void copy4k(struct blob4k *d, const struct blob4k *s) { *d = *s; }
static NOINLINE void zero1k(struct blob1k *d) { *d = (struct blob1k){{0}}; }
static NOINLINE void zero4k(struct blob4k *d) { *d = (struct blob4k){{0}}; }
static NOINLINE void init_mixed(struct mixed *m, u32 id) {
  *m = (struct mixed){.id = id, .flags = 0x8001, .kind = 7, .name = "mixed"};
}
static NOINLINE struct mixed ret_mixed(u32 id) {
  struct mixed m = {.id = id, .kind = 3};
  m.words[39] = id * 3ull;
  return m;
}
static NOINLINE void copy_bytes_1000(u8 *d, const u8 *s) { __builtin_memcpy(d, s, 1000); }
static NOINLINE void copy_bytes_1001(u8 *d, const u8 *s) { __builtin_memcpy(d, s, 1001); }
static NOINLINE void set_bytes_1000(u8 *d) { __builtin_memset(d, 0x5a, 1000); }
static NOINLINE void set_bytes_777(u8 *d, int c) { __builtin_memset(d, c, 777); }

static void gcc_copies(void) {
  static struct blob4k a4, b4;
  static struct blob1k a1, b1;
  static struct blob256 a2, b2;
  put_str("# struct copies and initialisations\n");
  fill((u8 *)&a4, sizeof a4, 1);
  fill((u8 *)&a1, sizeof a1, 2);
  fill((u8 *)&a2, sizeof a2, 3);
  copy4k(&b4, &a4);
  copy1k(&b1, &a1);
  copy256(&b2, &a2);
  put_str("copy4k ");
  put_hex(fnv64(&b4, sizeof b4), 16);
  put_str(" copy1k ");
  put_hex(fnv64(&b1, sizeof b1), 16);
  put_str(" copy256 ");
  put_hex(fnv64(&b2, sizeof b2), 16);
  put_nl();
  zero4k(&b4);
  zero1k(&b1);
  put_str("zero4k ");
  put_hex(fnv64(&b4, sizeof b4), 16);
  put_str(" zero1k ");
  put_hex(fnv64(&b1, sizeof b1), 16);
  put_nl();
  static struct mixed m;
  fill((u8 *)&m, sizeof m, 4);
  init_mixed(&m, 0xdeadbeef);
  put_str("mixed ");
  put_bytes((const u8 *)&m, 16);
  put_sp();
  put_hex(fnv64(&m, sizeof m), 16);
  put_nl();
  static struct mixed r;
  r = ret_mixed(77);
  put_str("retmixed ");
  put_hex(r.id, 8);
  put_sp();
  put_hex(r.words[39], 16);
  put_sp();
  put_hex(fnv64(&r, sizeof r), 16);
  put_nl();
  for (int off = 0; off < 4; off++) {
    fill(src_buf, BUF, 5);
    fill(dst_buf, BUF, 6);
    copy_bytes_1000(dst_buf + off, src_buf + 3 * off);
    copy_bytes_1001(dst_buf + 1200 + off, src_buf + 7);
    set_bytes_1000(dst_buf + 2400 + 2 * off);
    set_bytes_777(dst_buf + 3500 + off, 0x100 + 0xa5); /* the int is truncated to 0xa5 */
    put_str("bytes off=");
    put_u64((u64)off);
    put_sp();
    put_hex(fnv64(dst_buf, BUF), 16);
    put_nl();
  }
}

/* ---- explicit string instructions; DF is 0 throughout ---- */
struct str_regs { u64 di, si, cx; };

#define REP_MOVS(fname, insn)                                                              \
  static NOINLINE void fname(u8 *d, const u8 *s, u64 n, struct str_regs *r) {             \
    u8 *d0 = d;                                                                            \
    const u8 *s0 = s;                                                                      \
    __asm__ volatile("rep " insn : "+D"(d), "+S"(s), "+c"(n) : : "memory");                \
    r->di = (u64)(d - d0);                                                                 \
    r->si = (u64)(s - s0);                                                                 \
    r->cx = n;                                                                             \
  }
#define REP_STOS(fname, insn)                                                              \
  static NOINLINE void fname(u8 *d, u64 v, u64 n, struct str_regs *r) {                    \
    u8 *d0 = d;                                                                            \
    __asm__ volatile("rep " insn : "+D"(d), "+c"(n) : "a"(v) : "memory");                  \
    r->di = (u64)(d - d0);                                                                 \
    r->si = 0;                                                                             \
    r->cx = n;                                                                             \
  }
REP_MOVS(rep_movsb, "movsb")
REP_MOVS(rep_movsw, "movsw")
REP_MOVS(rep_movsl, "movsl")
REP_MOVS(rep_movsq, "movsq")
REP_STOS(rep_stosb, "stosb")
REP_STOS(rep_stosw, "stosw")
REP_STOS(rep_stosl, "stosl")
REP_STOS(rep_stosq, "stosq")

/* single, unrepeated forms */
static NOINLINE void single_ops(u8 *d, const u8 *s, struct str_regs *r) {
  u8 *d0 = d;
  const u8 *s0 = s;
  __asm__ volatile("movsb\n\tmovsq\n\tmovsw\n\tmovsl" : "+D"(d), "+S"(s) : : "memory");
  __asm__ volatile("stosb\n\tstosl\n\tstosw\n\tstosq" : "+D"(d) : "a"(0x8877665544332211ull) : "memory");
  r->di = (u64)(d - d0);
  r->si = (u64)(s - s0);
  r->cx = 0;
}

static const u64 lengths[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 255, 256, 1000};

static void explicit_ops(void) {
  typedef void (*movs_fn)(u8 *, const u8 *, u64, struct str_regs *);
  typedef void (*stos_fn)(u8 *, u64, u64, struct str_regs *);
  static const movs_fn movs[4] = {rep_movsb, rep_movsw, rep_movsl, rep_movsq};
  static const stos_fn stos[4] = {rep_stosb, rep_stosw, rep_stosl, rep_stosq};
  static const char *const mnames[4] = {"movsb", "movsw", "movsl", "movsq"};
  static const char *const snames[4] = {"stosb", "stosw", "stosl", "stosq"};
  put_str("# rep op count dst_off src_off -> rdi_delta rsi_delta rcx hash(dst) [first bytes]\n");
  for (int k = 0; k < 4; k++) {
    for (unsigned i = 0; i < ARRAY_LEN(lengths); i++) {
      u64 n = lengths[i];
      u64 doff = i & 3, soff = (i * 5) & 7;
      struct str_regs r;
      fill(src_buf, BUF, 7 + (u32)i);
      fill(dst_buf, BUF, 8);
      movs[k](dst_buf + 64 + doff, src_buf + 16 + soff, n, &r);
      put_str(mnames[k]);
      put_sp();
      put_u64(n);
      put_sp();
      put_u64(doff);
      put_sp();
      put_u64(soff);
      put_str(" -> ");
      put_u64(r.di);
      put_sp();
      put_u64(r.si);
      put_sp();
      put_u64(r.cx);
      put_sp();
      put_hex(fnv64(dst_buf, BUF), 16);
      put_sp();
      put_bytes(dst_buf + 62 + doff, 12);
      put_nl();

      fill(dst_buf, BUF, 9);
      stos[k](dst_buf + 32 + doff, 0xf0e1d2c3b4a59687ull ^ n, n, &r);
      put_str(snames[k]);
      put_sp();
      put_u64(n);
      put_sp();
      put_u64(doff);
      put_str(" -> ");
      put_u64(r.di);
      put_sp();
      put_u64(r.cx);
      put_sp();
      put_hex(fnv64(dst_buf, BUF), 16);
      put_sp();
      put_bytes(dst_buf + 30 + doff, 12);
      put_nl();
    }
  }
  /* forward-overlapping copies replicate the pattern, as the iteration semantics say */
  static const u64 dists[] = {1, 3, 8};
  for (unsigned i = 0; i < ARRAY_LEN(dists); i++) {
    struct str_regs r;
    fill(dst_buf, BUF, 10);
    rep_movsb(dst_buf + 100 + dists[i], dst_buf + 100, 40, &r);
    put_str("overlap movsb d=");
    put_u64(dists[i]);
    put_sp();
    put_bytes(dst_buf + 100, 48);
    put_nl();
    fill(dst_buf, BUF, 11);
    rep_movsq(dst_buf + 200 + 8 * dists[i], dst_buf + 200, 6, &r);
    put_str("overlap movsq d=");
    put_u64(8 * dists[i]);
    put_sp();
    put_hex(fnv64(dst_buf + 200, 128), 16);
    put_nl();
  }
  struct str_regs r;
  fill(src_buf, BUF, 12);
  fill(dst_buf, BUF, 13);
  single_ops(dst_buf + 8, src_buf + 8, &r);
  put_str("single ");
  put_u64(r.di);
  put_sp();
  put_u64(r.si);
  put_sp();
  put_bytes(dst_buf + 8, 30);
  put_nl();
}

/* ---- C string code ---- */
static NOINLINE u64 my_strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (u64)(p - s);
}
static NOINLINE int my_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (int)(u8)*a - (int)(u8)*b;
}
static NOINLINE char *my_strcpy(char *d, const char *s) {
  char *r = d;
  while ((*d++ = *s++) != 0) {
  }
  return r;
}
static NOINLINE const char *my_strchr(const char *s, int c) {
  for (; *s; s++)
    if (*s == (char)c) return s;
  return 0;
}
static NOINLINE void reverse(char *s, u64 n) {
  for (u64 i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
    char t = s[i];
    s[i] = s[j];
    s[j] = t;
  }
}
static NOINLINE void upper(char *s) {
  for (; *s; s++)
    if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 32);
}

static void c_strings(void) {
  static const char *const words[] = {"", "a", "kernel", "function_graph", "ftrace_ops_list_func",
                                      "text_poke_bp", "Zebra", "zebra", "ftrace", "ftrace_"};
  put_str("# C string routines\n");
  char buf[64];
  for (unsigned i = 0; i < ARRAY_LEN(words); i++) {
    const char *w = words[i];
    my_strcpy(buf, w);
    u64 n = my_strlen(buf);
    reverse(buf, n);
    put_str(w);
    put_char('|');
    put_u64(n);
    put_char('|');
    put_str(buf);
    upper(buf);
    put_char('|');
    put_str(buf);
    const char *u = my_strchr(w, '_');
    put_char('|');
    put_i64(u ? (s64)(u - w) : -1);
    for (unsigned j = 0; j < ARRAY_LEN(words); j++) {
      int c = my_strcmp(w, words[j]);
      put_char(c < 0 ? '<' : c > 0 ? '>' : '=');
    }
    put_nl();
  }
}

void test_main(void) {
  gcc_copies();
  explicit_ops();
  c_strings();
}
