/* asm.c — decoder corpus: inline asm for instructions gcc rarely emits (cpuid, rdtsc, pushf/popf, bt*, bswap, xchg, cmpxchg, xadd, shld/shrd, lahf/sahf, cbw forms, string ops, port I/O, fences, nops). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

void native_cpuid(u32 *eax, u32 *ebx, u32 *ecx, u32 *edx) {
  asm volatile("cpuid" : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx) : "0"(*eax), "2"(*ecx) : "memory");
}
u64 rdtsc_ordered(void) {
  u32 lo, hi;
  asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}
unsigned long native_save_fl(void) {
  unsigned long flags;
  asm volatile("pushf ; pop %0" : "=rm"(flags) : : "memory");
  return flags;
}
void native_restore_fl(unsigned long flags) { asm volatile("push %0 ; popf" : : "g"(flags) : "memory", "cc"); }
void native_irq_disable(void) { asm volatile("cli" : : : "memory"); }
void native_irq_enable(void) { asm volatile("sti" : : : "memory"); }
void native_safe_halt(void) { asm volatile("sti; hlt" : : : "memory"); }
void native_halt(void) { asm volatile("hlt" : : : "memory"); }
void cpu_relax(void) { asm volatile("pause" : : : "memory"); }
void mb(void) { asm volatile("mfence" : : : "memory"); }
void rmb(void) { asm volatile("lfence" : : : "memory"); }
void wmb(void) { asm volatile("sfence" : : : "memory"); }
void lock_barrier(void) { asm volatile("lock; addl $0,-4(%%rsp)" : : : "memory", "cc"); }
void do_serialize(void) { asm volatile("serialize" : : : "memory"); }
void hypercall0(void) { asm volatile("vmcall" : : : "memory"); }
long hypercall2(long nr, long a) {
  long ret;
  asm volatile("vmcall" : "=a"(ret) : "a"(nr), "D"(a) : "memory");
  return ret;
}
void bug(void) { asm volatile("ud2"); }
void breakpoint(void) { asm volatile("int3"); }

void outb(u8 v, u16 port) { asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(port)); }
void outw(u16 v, u16 port) { asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(port)); }
void outl(u32 v, u16 port) { asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port)); }
u8 inb(u16 port) { u8 v; asm volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port)); return v; }
u16 inw(u16 port) { u16 v; asm volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port)); return v; }
u32 inl(u16 port) { u32 v; asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port)); return v; }
void outb_e9(u8 v) { asm volatile("outb %b0, $0xe9" : : "a"(v)); }
u8 inb_60(void) { u8 v; asm volatile("inb $0x60, %b0" : "=a"(v)); return v; }
u32 inl_imm(void) { u32 v; asm volatile("inl $0x80, %0" : "=a"(v)); return v; }
void outw_imm(u16 v) { asm volatile("outw %w0, $0x70" : : "a"(v)); }

int bt_reg(unsigned long word, long nr) { unsigned char c; asm("btq %2, %1; setc %0" : "=q"(c) : "r"(word), "r"(nr) : "cc"); return c; }
int bt_mem(const unsigned long *p, long nr) { unsigned char c; asm("btq %2, %1; setc %0" : "=q"(c) : "m"(*p), "r"(nr) : "cc"); return c; }
int bts_mem(unsigned long *p, long nr) { unsigned char c; asm volatile("btsq %2, %1; setc %0" : "=q"(c), "+m"(*p) : "r"(nr) : "cc"); return c; }
int btr_mem(unsigned long *p, long nr) { unsigned char c; asm volatile("btrq %2, %1; setc %0" : "=q"(c), "+m"(*p) : "r"(nr) : "cc"); return c; }
int btc_mem(unsigned long *p, long nr) { unsigned char c; asm volatile("btcq %2, %1; setc %0" : "=q"(c), "+m"(*p) : "r"(nr) : "cc"); return c; }
int lock_bts(unsigned long *p, long nr) { unsigned char c; asm volatile("lock btsq %2, %1; setc %0" : "=q"(c), "+m"(*p) : "r"(nr) : "cc", "memory"); return c; }
int lock_btr(unsigned long *p, long nr) { unsigned char c; asm volatile("lock btrq %2, %1; setc %0" : "=q"(c), "+m"(*p) : "r"(nr) : "cc", "memory"); return c; }
int bt_imm(u32 w) { unsigned char c; asm("btl $5, %1; setc %0" : "=q"(c) : "r"(w) : "cc"); return c; }
int bts_imm_mem(u32 *p) { unsigned char c; asm volatile("btsl $17, %1; setc %0" : "=q"(c), "+m"(*p) : : "cc"); return c; }
int btr_imm16(u16 w) { unsigned char c; asm("btrw $3, %1; setc %0" : "=q"(c), "+r"(w) : : "cc"); return c; }
int btc_imm64(u64 w) { unsigned char c; asm("btcq $63, %1; setc %0" : "=q"(c), "+r"(w) : : "cc"); return c; }
int bt_reg16(u16 w, u16 n) { unsigned char c; asm("btw %2, %1; setc %0" : "=q"(c) : "r"(w), "r"(n) : "cc"); return c; }
int bts_reg32(u32 w, u32 n) { unsigned char c; asm("btsl %2, %1; setc %0" : "=q"(c), "+r"(w) : "r"(n) : "cc"); return c; }
int btr_reg32(u32 w, u32 n) { unsigned char c; asm("btrl %2, %1; setc %0" : "=q"(c), "+r"(w) : "r"(n) : "cc"); return c; }
int btc_reg64(u64 w, u64 n) { unsigned char c; asm("btcq %2, %1; setc %0" : "=q"(c), "+r"(w) : "r"(n) : "cc"); return c; }

u32 bswap32(u32 x) { asm("bswap %0" : "+r"(x)); return x; }
u64 bswap64(u64 x) { asm("bswapq %0" : "+r"(x)); return x; }
u64 bswap_r12(u64 x) { register u64 r asm("r12") = x; asm("bswapq %0" : "+r"(r)); return r; }
u32 bswap_r9d(u32 x) { register u32 r asm("r9") = x; asm("bswap %0" : "+r"(r)); return r; }

u64 xchg64(u64 *p, u64 v) { asm volatile("xchgq %0, %1" : "+r"(v), "+m"(*p) : : "memory"); return v; }
u32 xchg32(u32 *p, u32 v) { asm volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory"); return v; }
u16 xchg16(u16 *p, u16 v) { asm volatile("xchgw %0, %1" : "+r"(v), "+m"(*p) : : "memory"); return v; }
u8 xchg8(u8 *p, u8 v) { asm volatile("xchgb %0, %1" : "+q"(v), "+m"(*p) : : "memory"); return v; }
u64 xchg_regs(u64 a, u64 b) { asm("xchgq %0, %1" : "+r"(a), "+r"(b)); return a - b; }
u32 xchg_eax(u32 a, u32 b) { asm("xchgl %0, %1" : "+a"(a), "+r"(b)); return a - b; }
u16 xchg_ax(u16 a, u16 b) { asm("xchgw %0, %1" : "+a"(a), "+r"(b)); return a - b; }
u64 cmpxchg64(u64 *p, u64 o, u64 n) { asm volatile("lock cmpxchgq %2, %1" : "+a"(o), "+m"(*p) : "r"(n) : "memory", "cc"); return o; }
u32 cmpxchg32(u32 *p, u32 o, u32 n) { asm volatile("lock cmpxchgl %2, %1" : "+a"(o), "+m"(*p) : "r"(n) : "memory", "cc"); return o; }
u16 cmpxchg16(u16 *p, u16 o, u16 n) { asm volatile("lock cmpxchgw %2, %1" : "+a"(o), "+m"(*p) : "r"(n) : "memory", "cc"); return o; }
u8 cmpxchg8(u8 *p, u8 o, u8 n) { asm volatile("lock cmpxchgb %2, %1" : "+a"(o), "+m"(*p) : "q"(n) : "memory", "cc"); return o; }
u64 cmpxchg_reg(u64 a, u64 o, u64 n) { asm("cmpxchgq %2, %1" : "+a"(o), "+r"(a) : "r"(n) : "cc"); return a ^ o; }
u64 xadd64(u64 *p, u64 v) { asm volatile("lock xaddq %0, %1" : "+r"(v), "+m"(*p) : : "memory", "cc"); return v; }
u32 xadd32(u32 *p, u32 v) { asm volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory", "cc"); return v; }
u16 xadd16(u16 *p, u16 v) { asm volatile("lock xaddw %0, %1" : "+r"(v), "+m"(*p) : : "memory", "cc"); return v; }
u8 xadd8(u8 *p, u8 v) { asm volatile("lock xaddb %0, %1" : "+q"(v), "+m"(*p) : : "memory", "cc"); return v; }
u64 xadd_reg(u64 a, u64 b) { asm("xaddq %0, %1" : "+r"(a), "+r"(b) : : "cc"); return a ^ b; }

u64 shld64(u64 a, u64 b, u8 c) { asm("shldq %%cl, %1, %0" : "+r"(a) : "r"(b), "c"(c) : "cc"); return a; }
u64 shrd64(u64 a, u64 b, u8 c) { asm("shrdq %%cl, %1, %0" : "+r"(a) : "r"(b), "c"(c) : "cc"); return a; }
u32 shld32_imm(u32 a, u32 b) { asm("shldl $7, %1, %0" : "+r"(a) : "r"(b) : "cc"); return a; }
u32 shrd32_imm(u32 a, u32 b) { asm("shrdl $9, %1, %0" : "+r"(a) : "r"(b) : "cc"); return a; }
u16 shld16(u16 a, u16 b, u8 c) { asm("shldw %%cl, %1, %0" : "+r"(a) : "r"(b), "c"(c) : "cc"); return a; }
u16 shrd16_imm(u16 a, u16 b) { asm("shrdw $3, %1, %0" : "+r"(a) : "r"(b) : "cc"); return a; }
void shld_mem(u64 *p, u64 b) { asm("shldq $12, %1, %0" : "+m"(*p) : "r"(b) : "cc"); }
void shrd_mem_cl(u32 *p, u32 b, u8 c) { asm("shrdl %%cl, %1, %0" : "+m"(*p) : "r"(b), "c"(c) : "cc"); }

u32 lahf_sahf(u32 x) {
  u32 r;
  asm("lahf; orb $1, %%ah; sahf; setc %%al; movzbl %%al, %0" : "=a"(r) : "0"(x) : "cc");
  return r;
}
u64 stc_clc_cmc(void) {
  u8 a, b, c;
  asm("stc; setc %0; clc; setc %1; cmc; setc %2" : "=q"(a), "=q"(b), "=q"(c) : : "cc");
  return a | b << 1 | c << 2;
}
void cld_std(void) { asm volatile("std; cld" : : : "cc"); }
u64 cbw_forms(u64 x) {
  u64 r;
  asm("cbtw; cwtl; cltq" : "=a"(r) : "0"(x));
  return r;
}
u64 cwd_forms(u64 x) {
  u64 d1, d2, d3;
  asm("cwtd; mov %%rdx, %0; cltd; mov %%rdx, %1; cqto; mov %%rdx, %2" : "=r"(d1), "=r"(d2), "=r"(d3), "+a"(x) : : "rdx");
  return d1 ^ d2 ^ d3;
}

void *rep_movsb(void *d, const void *s, unsigned long n) { void *r = d; asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory"); return r; }
void *rep_movsq(void *d, const void *s, unsigned long n) { void *r = d; asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory"); return r; }
void *rep_movsl(void *d, const void *s, unsigned long n) { void *r = d; asm volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory"); return r; }
void *rep_movsw(void *d, const void *s, unsigned long n) { void *r = d; asm volatile("rep movsw" : "+D"(d), "+S"(s), "+c"(n) : : "memory"); return r; }
void *rep_stosb(void *d, int c, unsigned long n) { void *r = d; asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory"); return r; }
void *rep_stosq(void *d, u64 v, unsigned long n) { void *r = d; asm volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(v) : "memory"); return r; }
void *rep_stosl(void *d, u32 v, unsigned long n) { void *r = d; asm volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(v) : "memory"); return r; }
void *rep_stosw(void *d, u16 v, unsigned long n) { void *r = d; asm volatile("rep stosw" : "+D"(d), "+c"(n) : "a"(v) : "memory"); return r; }
unsigned long repne_scasb(const char *s) {
  unsigned long n = ~0ul;
  asm volatile("repne scasb" : "+D"(s), "+c"(n) : "a"(0) : "memory", "cc");
  return ~n - 1;
}
int repe_cmpsb(const void *a, const void *b, unsigned long n) {
  u8 r;
  asm volatile("repe cmpsb; setne %0" : "=q"(r), "+S"(a), "+D"(b), "+c"(n) : : "memory", "cc");
  return r;
}
int repe_cmpsq(const void *a, const void *b, unsigned long n) {
  u8 r;
  asm volatile("repe cmpsq; setne %0" : "=q"(r), "+S"(a), "+D"(b), "+c"(n) : : "memory", "cc");
  return r;
}
u8 lodsb_once(const u8 *p) { u8 v; asm volatile("lodsb" : "=a"(v), "+S"(p) : : "memory"); return v; }
u64 lodsq_once(const u64 *p) { u64 v; asm volatile("lodsq" : "=a"(v), "+S"(p) : : "memory"); return v; }
u16 lodsw_once(const u16 *p) { u16 v; asm volatile("lodsw" : "=a"(v), "+S"(p) : : "memory"); return v; }
void stosl_once(u32 *p, u32 v) { asm volatile("stosl" : "+D"(p) : "a"(v) : "memory"); }
void movsq_once(u64 *d, const u64 *s) { asm volatile("movsq" : "+D"(d), "+S"(s) : : "memory"); }
int scasl_once(const u32 *p, u32 v) { u8 r; asm volatile("scasl; sete %0" : "=q"(r), "+D"(p) : "a"(v) : "memory", "cc"); return r; }
int cmpsw_once(const u16 *a, const u16 *b) { u8 r; asm volatile("cmpsw; sete %0" : "=q"(r), "+S"(a), "+D"(b) : : "memory", "cc"); return r; }
int repne_scasq(const u64 *p, u64 v, unsigned long n) { asm volatile("repne scasq" : "+D"(p), "+c"(n) : "a"(v) : "memory", "cc"); return (int)n; }

u64 gs_read(void) { u64 v; asm volatile("movq %%gs:0x28, %0" : "=r"(v)); return v; }
u32 gs_read_off(unsigned long off) { u32 v; asm volatile("movl %%gs:(%1), %0" : "=r"(v) : "r"(off)); return v; }
void gs_write(u64 v) { asm volatile("movq %0, %%gs:0x10" : : "r"(v)); }
void gs_inc(void) { asm volatile("incl %%gs:0x40" ::: "cc"); }
void gs_add(u32 v) { asm volatile("addl %0, %%gs:0x44" : : "r"(v) : "cc"); }
u64 fs_read(void) { u64 v; asm volatile("movq %%fs:0, %0" : "=r"(v)); return v; }
u8 gs_cmpb(void) { u8 r; asm volatile("cmpb $0x7f, %%gs:0x48; sete %0" : "=q"(r) : : "cc"); return r; }

u64 movabs_imm(void) { u64 v; asm("movabsq $0x123456789abcdef0, %0" : "=r"(v)); return v; }
u64 mov_imm_signext(void) { u64 v; asm("movq $-2, %0" : "=r"(v)); return v; }
u32 mov_r8_imm(void) { u32 v; asm("movb $0x12, %%ah; movzwl %%ax, %0" : "=a"(v)); return v; }
u64 push_pop_imm(void) { u64 v; asm volatile("pushq $0x1234; pushq $-1; popq %0; popq %0" : "=r"(v) : : "memory"); return v; }
u64 push_mem(const u64 *p) { u64 v; asm volatile("pushq %1; popq %0" : "=r"(v) : "m"(*p) : "memory"); return v; }
void pop_mem(u64 *p) { asm volatile("pushq $7; popq %0" : "=m"(*p) : : "memory"); }
u64 push_r15(u64 x) { register u64 r asm("r15") = x; asm volatile("push %%r15; pop %%r15" : "+r"(r) : : "memory"); return r; }
u32 setcc_mem(u32 a, u32 b, u8 *out) { asm("cmpl %2, %1; setb %0" : "=m"(*out) : "r"(a), "r"(b) : "cc"); return *out; }
u64 cmov_mem(u64 a, const u64 *p) { asm("testq %0, %0; cmovzq %1, %0" : "+r"(a) : "m"(*p) : "cc"); return a; }
u16 cmov16(u16 a, u16 b) { asm("testw %0, %0; cmovsw %1, %0" : "+r"(a) : "r"(b) : "cc"); return a; }
u64 imul3_forms(u64 a) { u64 r, s; asm("imulq $-7, %2, %0; imulq $100000, %2, %1" : "=r"(r), "=r"(s) : "r"(a) : "cc"); return r ^ s; }
u16 imul16(u16 a, u16 b) { asm("imulw %1, %0" : "+r"(a) : "r"(b) : "cc"); return a; }
u64 mul_wide(u64 a, u64 b) { u64 lo, hi; asm("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b) : "cc"); return lo ^ hi; }
u8 mul8(u8 a, u8 b) { u16 r; asm("mulb %2" : "=a"(r) : "a"(a), "q"(b) : "cc"); return (u8)(r >> 8); }
u64 idiv_mem(u64 a, const u64 *d) { u64 q, r; asm("cqto; idivq %2" : "=a"(q), "=&d"(r) : "m"(*d), "0"(a) : "cc"); return q ^ r; }
u32 div8(u16 a, u8 d) { u16 r; asm("divb %2" : "=a"(r) : "a"(a), "q"(d) : "cc"); return r; }
u64 rotates(u64 a) { asm("rolq $3, %0; rorq %0; rclq $2, %0; rcrq %0" : "+r"(a) : : "cc"); return a; }
u32 rot_cl(u32 a, u8 c) { asm("roll %%cl, %0; rcrl %%cl, %0" : "+r"(a) : "c"(c) : "cc"); return a; }
void rot_mem(u16 *p) { asm("rolw $4, %0; sarw %0; shlw $2, %0" : "+m"(*p) : : "cc"); }
u8 shifts8(u8 a, u8 c) { asm("shlb %%cl, %0; sarb $2, %0; shrb %0; rolb %%cl, %0" : "+q"(a) : "c"(c) : "cc"); return a; }
u64 bsf_bsr(u64 a) { u64 r, s; asm("bsfq %2, %0; bsrq %2, %1" : "=&r"(r), "=&r"(s) : "rm"(a) : "cc"); return r ^ s; }
u16 bsf16(u16 a) { u16 r; asm("bsfw %1, %0" : "=r"(r) : "rm"(a) : "cc"); return r; }
u64 leave_ret(u64 a) { asm volatile("push %%rbp; mov %%rsp, %%rbp; push %0; leave" : : "r"(a) : "memory"); return a; }
u64 neg_not_mem(u64 *p) { asm("negq %0; notq %0; incq %0; decq %0" : "+m"(*p) : : "cc"); return *p; }
u64 test_forms(u64 a, const u64 *p) {
  u8 r1, r2, r3, r4;
  asm("testq $0x1000, %4; setz %0; testb $0x80, %b4; setz %1; testl $5, %5; setz %2; testq %4, %5; setz %3"
      : "=q"(r1), "=q"(r2), "=q"(r3), "=q"(r4) : "a"(a), "m"(*p) : "cc");
  return r1 | r2 << 1 | r3 << 2 | r4 << 3;
}
u64 alu_acc_forms(u64 a) {
  asm("addq $0x12345, %0; orl $0x80000, %k0; adcw $0x1234, %w0; sbbb $3, %b0; andq $-0x100, %0; subl $1000000, %k0; xorb $0x55, %b0; cmpq $-1, %0"
      : "+a"(a) : : "cc");
  return a;
}
u64 adc_sbb(u64 a, u64 b, u64 *p) {
  asm("addq %1, %0; adcq $0, %0; sbbq %1, %0; adcq %0, %2; sbbl $1, %k0" : "+r"(a), "+r"(b), "+m"(*p) : : "cc");
  return a;
}
void movs_mem_imm(u64 *q, u32 *l, u16 *w, u8 *b) {
  asm("movq $-5, %0; movl $0x12345678, %1; movw $0x1234, %2; movb $0xfe, %3" : "=m"(*q), "=m"(*l), "=m"(*w), "=m"(*b));
}
u64 lea_forms(u64 a, u64 b) {
  u64 r1, r2, r3, r4;
  asm("leaq 8(%4,%5,4), %0; leaq (,%5,8), %1; leal -1(%4), %k2; leaq 0x1000(%4), %3" : "=r"(r1), "=r"(r2), "=r"(r3), "=r"(r4) : "r"(a), "r"(b));
  return r1 ^ r2 ^ r3 ^ r4;
}
u64 rip_rel_lea(void) { u64 v; asm("leaq rip_target(%%rip), %0" : "=r"(v)); return v; }
u64 rip_target;
u64 rip_rel_load(void) { u64 v; asm("movq rip_target(%%rip), %0" : "=r"(v)); return v; }
void rip_rel_store_imm(void) { asm volatile("movl $3, rip_target+4(%%rip)" ::: "memory"); }
void jmp_ind_reg(void (*f)(void)) { asm volatile("call *%0" : : "r"(f) : "memory"); }
void call_ind_mem(void (**f)(void)) { asm volatile("call *%0" : : "m"(*f) : "memory"); }
void nops(void) {
  asm volatile("nop; xchg %%ax, %%ax; nopl (%%rax); nopl 0(%%rax); nopl 0(%%rax,%%rax,1); nopw 0(%%rax,%%rax,1); .byte 0x0f,0x1f,0x80,0,0,0,0; .byte 0x0f,0x1f,0x84,0,0,0,0,0; .byte 0x66,0x0f,0x1f,0x84,0,0,0,0,0; .byte 0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0" ::: "memory");
  asm volatile(".byte 0x66,0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0; .byte 0x66,0x66,0x66,0x2e,0x0f,0x1f,0x84,0,0,0,0,0" ::: "memory");
  asm volatile(".nops 15; .nops 9; .nops 3" ::: "memory");
}
void ftrace_nop5(void) { asm volatile(".byte 0x0f,0x1f,0x44,0x00,0x00" ::: "memory"); }
void prefetch_forms(const void *p) { __builtin_prefetch(p, 0, 0); __builtin_prefetch(p, 0, 3); __builtin_prefetch(p, 0, 2); __builtin_prefetch(p, 0, 1); }
void ret_imm(void) { asm volatile("jmp 1f; ret $8; 1:" ::: "memory"); }
void iret_forms(void) { asm volatile("jmp 1f; iretq; 1:" ::: "memory"); }
u64 movsx_forms(const void *p) {
  u64 r1, r2, r3; u32 r4;
  asm("movsbq (%4), %0; movswq 2(%4), %1; movslq 4(%4), %2; movsbw 8(%4), %w3" : "=r"(r1), "=r"(r2), "=r"(r3), "=r"(r4) : "r"(p));
  return r1 ^ r2 ^ r3 ^ r4;
}
u64 movzx_forms(const void *p) {
  u64 r1, r2; u32 r3; u16 r4;
  asm("movzbq (%4), %0; movzwq 2(%4), %1; movzbl 4(%4), %2; movzbw 5(%4), %3" : "=r"(r1), "=r"(r2), "=r"(r3), "=r"(r4) : "r"(p));
  return r1 ^ r2 ^ r3 ^ r4;
}
u32 high_byte_regs(u32 a, u32 b) {
  asm("movb %%ah, %%bl; addb %%bh, %%ch; xorb %%dh, %%al" : "+a"(a), "+b"(b) : : "ecx", "edx", "cc");
  return a ^ b;
}
u64 rex_byte_regs(u64 a) {
  asm("movb %%sil, %%dil; movb %%r8b, %%spl; movb %%bpl, %%r15b" : : "S"(a) : "rdi", "r8", "r15", "memory");
  return a;
}
u64 sib_forms(u64 *base, long i) {
  u64 r;
  asm("movq (%1,%2,8), %0; addq -8(%1,%2,4), %0; addq 0x100(%1,%2,2), %0; addq (%%rsp), %0; addq 8(%%rsp), %0; addq (%%r12), %0; addq (%%r13), %0; addq 0(%%rbp), %0"
      : "=&r"(r) : "r"(base), "r"(i) : "cc", "memory");
  return r;
}
u64 abs_addr(void) { u64 v; asm("movq 0x1000, %0" : "=r"(v)); return v; }
u64 extended_regs(u64 a) {
  asm("movq %0, %%r8; addq %%r9, %%r10; imulq %%r11, %%r12; movl %%r13d, %%r14d; movw %%r15w, %%r8w; movb %%r9b, %%r10b; leaq (%%r8,%%r9,2), %%r11; movq (%%r12,%%r13,4), %%r14"
      : "+r"(a) : : "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
  return a;
}

void corpus_asm(void) {
  native_irq_disable();
  outb_e9('x');
}
