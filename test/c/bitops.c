/* bitops.c — data movement and bit manipulation: bswap, cbw..cqo, xchg, movzx/movsx at all widths, high-byte registers, lea forms, push/pop forms, RIP-relative loads, bit builtins and tricks. */
#include "alu.h"

#define GARBAGE_D 0x6e1f5a3cc3a596e1ull

/* ---- bswap ---- */
static NOINLINE u32 bs32(u32 x) { return __builtin_bswap32(x); }
static NOINLINE u64 bs64(u64 x) { return __builtin_bswap64(x); }
static NOINLINE u16 bs16(u16 x) { return __builtin_bswap16(x); }
static NOINLINE u64 bswap_r9(u64 x) {
  register u64 r9 __asm__("r9") = x;
  __asm__ volatile("bswap %%r9" : "+r"(r9));
  return r9;
}
static NOINLINE u64 bswap_r10d(u64 x) {
  register u64 r10 __asm__("r10") = x;
  __asm__ volatile("bswap %%r10d" : "+r"(r10));
  return r10; /* 32-bit bswap zero-extends */
}

/* ---- sign extension of the accumulator ---- */
static NOINLINE void sext_acc(u64 v, u64 *out) {
  u64 a, d;
  a = v;
  __asm__("cbtw" : "+a"(a)); /* cbw: al -> ax */
  out[0] = a;
  a = v;
  __asm__("cwtl" : "+a"(a)); /* cwde: ax -> eax (zero-extends to rax) */
  out[1] = a;
  a = v;
  __asm__("cltq" : "+a"(a)); /* cdqe: eax -> rax */
  out[2] = a;
  a = v;
  d = GARBAGE_D;
  __asm__("cwtd" : "+a"(a), "+d"(d)); /* cwd: ax -> dx:ax */
  out[3] = d;
  a = v;
  d = GARBAGE_D;
  __asm__("cltd" : "+a"(a), "+d"(d)); /* cdq: eax -> edx:eax */
  out[4] = d;
  out[5] = a;
  a = v;
  d = GARBAGE_D;
  __asm__("cqto" : "+a"(a), "+d"(d)); /* cqo: rax -> rdx:rax */
  out[6] = d;
}

/* ---- xchg ---- */
static NOINLINE void xchgs(u64 x, u64 y, u64 *out) {
  u64 a = x, b = y;
  __asm__("xchgb %b0, %b1" : "+r"(a), "+r"(b));
  out[0] = a;
  out[1] = b;
  a = x, b = y;
  __asm__("xchgw %w0, %w1" : "+r"(a), "+r"(b));
  out[2] = a;
  out[3] = b;
  a = x, b = y;
  __asm__("xchgl %k0, %k1" : "+r"(a), "+r"(b));
  out[4] = a;
  out[5] = b;
  a = x, b = y;
  __asm__("xchgq %0, %1" : "+r"(a), "+r"(b));
  out[6] = a;
  out[7] = b;
  /* with the accumulator: short forms 0x90+r */
  a = x, b = y;
  __asm__("xchgl %%eax, %k1" : "+a"(a), "+r"(b));
  out[8] = a;
  out[9] = b;
  /* xchg %eax,%eax in 64-bit mode is not a nop: it zero-extends rax */
  a = x;
  __asm__(".byte 0x87, 0xc0" : "+a"(a)); /* xchgl %eax, %eax (ModRM form) */
  out[10] = a;
  /* with memory (implicitly locked) */
  u64 cell = y;
  u64 *p = &cell;
  a = x;
  __asm__ volatile("xchgl %k0, (%1)" : "+r"(a) : "r"(p) : "memory");
  out[11] = a;
  out[12] = cell;
  cell = y;
  a = x;
  __asm__ volatile("xchgb (%1), %b0" : "+r"(a) : "r"(p) : "memory");
  out[13] = a;
  out[14] = cell;
}

/* ---- movzx / movsx at every width, register and memory source ---- */
static NOINLINE void extends(u64 v, u64 *out) {
  u64 d;
  u64 cell = v;
  u64 *p = &cell;
  d = GARBAGE_A;
  __asm__("movzbw %b1, %w0" : "+r"(d) : "r"(v));
  out[0] = d;
  __asm__("movzbl %b1, %k0" : "=r"(d) : "r"(v));
  out[1] = d;
  __asm__("movzbq %b1, %0" : "=r"(d) : "r"(v));
  out[2] = d;
  __asm__("movzwl %w1, %k0" : "=r"(d) : "r"(v));
  out[3] = d;
  __asm__("movzwq %w1, %0" : "=r"(d) : "r"(v));
  out[4] = d;
  d = GARBAGE_A;
  __asm__("movsbw %b1, %w0" : "+r"(d) : "r"(v));
  out[5] = d;
  __asm__("movsbl %b1, %k0" : "=r"(d) : "r"(v));
  out[6] = d;
  __asm__("movsbq %b1, %0" : "=r"(d) : "r"(v));
  out[7] = d;
  __asm__("movswl %w1, %k0" : "=r"(d) : "r"(v));
  out[8] = d;
  __asm__("movswq %w1, %0" : "=r"(d) : "r"(v));
  out[9] = d;
  __asm__("movslq %k1, %0" : "=r"(d) : "r"(v));
  out[10] = d;
  __asm__("movzbl 1(%1), %k0" : "=r"(d) : "r"(p), "m"(cell));
  out[11] = d;
  __asm__("movsbq 2(%1), %0" : "=r"(d) : "r"(p), "m"(cell));
  out[12] = d;
  __asm__("movswl 2(%1), %k0" : "=r"(d) : "r"(p), "m"(cell));
  out[13] = d;
  __asm__("movslq 4(%1), %0" : "=r"(d) : "r"(p), "m"(cell));
  out[14] = d;
  /* movl zero-extends, movw/movb keep the rest */
  d = GARBAGE_A;
  __asm__("movl %k1, %k0" : "+r"(d) : "r"(v));
  out[15] = d;
  d = GARBAGE_A;
  __asm__("movw %w1, %w0" : "+r"(d) : "r"(v));
  out[16] = d;
  d = GARBAGE_A;
  __asm__("movb %b1, %b0" : "+r"(d) : "r"(v));
  out[17] = d;
}

/* ---- high-byte registers ah/bh/ch/dh ---- */
static NOINLINE void high_bytes(u64 x, u64 y, u64 *out) {
  u64 a = x, b = y;
  __asm__("addb %h1, %b0" : "+Q"(a) : "Q"(b) : "cc");
  out[0] = a;
  a = x, b = y;
  __asm__("movb %b1, %h0" : "+Q"(a) : "Q"(b));
  out[1] = a;
  a = x;
  __asm__("movzbl %h1, %k0" : "=Q"(b) : "Q"(a));
  out[2] = b;
  a = x;
  __asm__("movsbl %h1, %k0" : "=Q"(b) : "Q"(a));
  out[3] = b;
  a = x, b = y;
  __asm__("xchgb %h0, %h1" : "+Q"(a), "+Q"(b));
  out[4] = a;
  out[5] = b;
  a = x;
  __asm__("incb %h0\n\tshlb $1, %h0" : "+Q"(a) : : "cc");
  out[6] = a;
}

/* ---- lea forms ---- */
static NOINLINE void leas(u64 x, u64 y, u64 *out) {
  u64 d;
  __asm__("lea 0x10(%1,%2,4), %0" : "=r"(d) : "r"(x), "r"(y));
  out[0] = d;
  __asm__("lea -8(,%1,8), %0" : "=r"(d) : "r"(y));
  out[1] = d;
  __asm__("lea (%1,%1,2), %0" : "=r"(d) : "r"(x));
  out[2] = d;
  __asm__("leal 1(%1,%2), %k0" : "=r"(d) : "r"(x), "r"(y));
  out[3] = d; /* 32-bit: zero-extended */
  d = GARBAGE_A;
  __asm__("leaw 0x7fff(%1,%2,2), %w0" : "+r"(d) : "r"(x), "r"(y));
  out[4] = d; /* 16-bit: upper kept */
  __asm__("lea -0x12345678(%1), %0" : "=r"(d) : "r"(x));
  out[5] = d;
  __asm__("lea 0x7fffffff(%1,%2,8), %0" : "=r"(d) : "r"(x), "r"(y));
  out[6] = d;
}

/* ---- RIP-relative and absolute addressing (output never depends on addresses) ---- */
u64 rip_data[4] __attribute__((used)) = {0x1111222233334444ull, 0x5555666677778888ull, 0x99990000aaaabbbbull, 0};
static NOINLINE void rip_rel(u64 *out) {
  u64 d;
  __asm__ volatile("movq rip_data+8(%%rip), %0" : "=r"(d) : : "memory");
  out[0] = d;
  __asm__ volatile("lea 1f(%%rip), %0\n\tlea 2f(%%rip), %%rdx\n\tsub %%rdx, %0\n\t"
                   "jmp 2f\n1:\n\t.byte 0x90, 0x90, 0x90\n2:"
                   : "=&r"(d) : : "rdx", "cc");
  out[1] = d; /* -3: the three nops between the labels */
  __asm__ volatile("movq $0x0badc0de, rip_data+24(%%rip)" : : : "memory");
  out[2] = rip_data[3];
  __asm__ volatile("addl $1, rip_data+16(%%rip)\n\tadcl $0, rip_data+20(%%rip)" : : : "memory", "cc");
  out[3] = rip_data[2];
}

/* ---- push / pop forms ---- */
static NOINLINE void pushpop(u64 x, u64 *out) {
  u64 a, b, c;
  u64 cell = x;
  u64 *p = &cell;
  __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                   "pushq $-5\n\t"
                   "pushq $0x12345678\n\t"
                   "pushq (%[p])\n\t"
                   "pop %[a]\n\t"
                   "pop %[b]\n\t"
                   "pop %[c]\n\t"
                   "pushq $-1\n\t"
                   "popq 0(%[p])\n\t"
                   "lea 128(%%rsp), %%rsp"
                   : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c)
                   : [p] "r"(p)
                   : "memory");
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = cell;
  register u64 r12 __asm__("r12") = x;
  register u64 r15 __asm__("r15") = ~x;
  __asm__ volatile("lea -128(%%rsp), %%rsp\n\tpush %%r12\n\tpush %%r15\n\tpop %%r12\n\tpop %%r15\n\t"
                   "lea 128(%%rsp), %%rsp"
                   : "+r"(r12), "+r"(r15));
  out[4] = r12;
  out[5] = r15;
}

/* ---- immediates ---- */
static NOINLINE void imms(u64 *out) {
  u64 d;
  __asm__ volatile("movabs $0x8123456789abcdef, %0" : "=r"(d));
  out[0] = d;
  __asm__ volatile("movq $-2, %0" : "=r"(d)); /* imm32 sign-extended */
  out[1] = d;
  d = GARBAGE_A;
  __asm__ volatile("movl $0x80000000, %k0" : "+r"(d)); /* zero-extended */
  out[2] = d;
  d = GARBAGE_A;
  __asm__ volatile("movw $0x8001, %w0" : "+r"(d));
  out[3] = d;
  d = GARBAGE_A;
  __asm__ volatile("movb $0x81, %b0" : "+r"(d));
  out[4] = d;
  u64 cell = GARBAGE_A;
  u64 *p = &cell;
  __asm__ volatile("movw $0x1234, 2(%0)\n\tmovb $0x56, 7(%0)" : : "r"(p) : "memory");
  out[5] = cell;
  __asm__ volatile("movq $-0x70000000, (%0)" : : "r"(p) : "memory");
  out[6] = cell;
}

/* ---- builtins and bit tricks (no libgcc: popcount is done by hand) ---- */
static NOINLINE int ctz32(u32 x) { return __builtin_ctz(x); }
static NOINLINE int ctz64(u64 x) { return __builtin_ctzll(x); }
static NOINLINE int clz32(u32 x) { return __builtin_clz(x); }
static NOINLINE int clz64(u64 x) { return __builtin_clzll(x); }
static NOINLINE int ffs32(int x) { return __builtin_ffs(x); }
static NOINLINE int ffs64(long long x) { return __builtin_ffsll(x); }
static NOINLINE int parity32(u32 x) { return __builtin_parity(x); }
static NOINLINE int parity64(u64 x) { return __builtin_parityll(x); }
static NOINLINE u64 swar_popcount(u64 x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (x * 0x0101010101010101ull) >> 56;
}
static NOINLINE u64 reverse_bits(u64 x) {
  u64 r = 0;
  for (int i = 0; i < 64; i++) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}
static NOINLINE u64 next_pow2(u64 x) {
  if (x <= 1) return 1;
  return 1ull << (64 - __builtin_clzll(x - 1));
}
static NOINLINE u64 tricks(u64 x, int k) {
  switch (k) {
  case 0: return x & (0 - x);          /* lowest set bit */
  case 1: return x & (x - 1);          /* clear lowest */
  case 2: return x ^ (x >> 1);         /* gray code */
  case 3: return (u64)((s64)x >> 63);  /* sign mask */
  case 4: return ((s64)x ^ ((s64)x >> 63)) - ((s64)x >> 63); /* abs */
  case 5: return x | (x - 1);          /* fill trailing zeros */
  default: return (x >> 32) | (x << 32);
  }
}

static const u64 vals[] = {0x0000000000000001ull, 0x0000000000000080ull, 0x00000000000080ffull,
                           0x0000000080000000ull, 0x00000001fffffffeull, 0x0123456789abcdefull,
                           0x7fffffffffffffffull, 0x8000000000000000ull, 0xfedcba9876543210ull,
                           0xffffffffffffffffull, 0x00000000ffff0000ull, 0x00f0000000000000ull};

static void put_list(const char *label, const u64 *v, int n) {
  put_str(label);
  for (int i = 0; i < n; i++) {
    put_sp();
    put_hex(v[i], 16);
  }
  put_nl();
}

void test_main(void) {
  u64 out[20];
  for (unsigned i = 0; i < ARRAY_LEN(vals); i++) {
    u64 v = vals[i], w = vals[(i * 5 + 3) % ARRAY_LEN(vals)];
    put_str("v ");
    put_hex(v, 16);
    put_sp();
    put_hex(w, 16);
    put_nl();
    out[0] = bs16((u16)v);
    out[1] = bs32((u32)v);
    out[2] = bs64(v);
    out[3] = bswap_r9(v);
    out[4] = bswap_r10d(v);
    put_list(" bswap", out, 5);
    sext_acc(v, out);
    put_list(" sext", out, 7);
    xchgs(v, w, out);
    put_list(" xchg", out, 15);
    extends(v, out);
    put_list(" ext", out, 18);
    high_bytes(v, w, out);
    put_list(" hi8", out, 7);
    leas(v, w, out);
    put_list(" lea", out, 7);
    pushpop(v, out);
    put_list(" push", out, 6);
    out[0] = (u64)ctz32((u32)v ? (u32)v : 1);
    out[1] = (u64)ctz64(v);
    out[2] = (u64)clz32((u32)v ? (u32)v : 1);
    out[3] = (u64)clz64(v);
    out[4] = (u64)ffs32((int)(u32)v);
    out[5] = (u64)ffs64((long long)(v & 0xffffffff00000000ull));
    out[6] = (u64)parity32((u32)v);
    out[7] = (u64)parity64(v);
    out[8] = swar_popcount(v);
    out[9] = reverse_bits(v);
    out[10] = next_pow2(v >> 1);
    put_list(" bits", out, 11);
    for (int k = 0; k < 7; k++) out[k] = tricks(v, k);
    put_list(" tricks", out, 7);
  }
  rip_rel(out);
  put_list("rip", out, 4);
  imms(out);
  put_list("imm", out, 7);
}
