/* harness.h — output and entry glue for the ftsim differential execution tests (native and guest builds). */
#ifndef FTSIM_HARNESS_H
#define FTSIM_HARNESS_H

/*
 * Every test program includes this header once and defines `void test_main(void)`.
 *
 * Native build (-DFTSIM_NATIVE): output goes to stdout through stdio; main() runs
 * test_main() and then prints "END".
 * Guest build (freestanding, -pg -mfentry): output goes byte by byte to I/O port 0xE9
 * (the ftsim console); _start runs test_main(), prints "END" and halts the CPU for good
 * with `cli; hlt`. __fentry__ is a plain `ret`.
 *
 * Programs must print only values that are the same on both sides: never addresses,
 * never anything that depends on the host.
 */

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef short s16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned long usize;

#define NOINLINE __attribute__((noinline, noclone))
#define UNUSED __attribute__((unused))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void test_main(void);

#ifdef FTSIM_NATIVE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>

static inline void put_char(char c) { putchar((unsigned char)c); }

/* Stops the native run when the host lacks an instruction a test uses: a CPU without
 * LZCNT silently runs it as BSR, which would give wrong reference output. */
static UNUSED void require_cpu_feature(const char *name) {
  unsigned a, b, c, d;
  int ok = 0;
  if (name[0] == 'p') { /* popcnt: CPUID.1:ECX[23] */
    if (__get_cpuid(1, &a, &b, &c, &d)) ok = (c >> 23) & 1;
  } else if (name[0] == 'l') { /* lzcnt (ABM): CPUID.80000001H:ECX[5] */
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d)) ok = (c >> 5) & 1;
  } else if (name[0] == 't') { /* tzcnt (BMI1): CPUID.(EAX=7,ECX=0):EBX[3] */
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) ok = (b >> 3) & 1;
  }
  if (!ok) {
    fflush(stdout);
    fprintf(stderr, "host CPU lacks %s; build with -DFTSIM_NO_ABM to skip those tests\n", name);
    exit(2);
  }
}

int main(void) {
  test_main();
  fputs("END\n", stdout);
  fflush(stdout);
  return 0;
}

#else /* guest */

static inline void put_char(char c) {
  __asm__ volatile("outb %b0, %w1" : : "a"(c), "Nd"((u16)0xE9));
}

static UNUSED void require_cpu_feature(const char *name) { (void)name; }

/* gcc may emit calls to these for struct copies and initialisations, as in the kernel. */
void *memcpy(void *dst, const void *src, usize n) {
  void *d = dst;
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  return dst;
}

void *memset(void *dst, int c, usize n) {
  void *d = dst;
  __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  return dst;
}

void *memmove(void *dst, const void *src, usize n) {
  u8 *d = (u8 *)dst;
  const u8 *s = (const u8 *)src;
  if (d <= s || d >= s + n) return memcpy(dst, src, n);
  while (n) {
    n--;
    ((volatile u8 *)d)[n] = s[n];
  }
  return dst;
}

int memcmp(const void *a, const void *b, usize n) {
  const u8 *x = (const u8 *)a, *y = (const u8 *)b;
  for (usize i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

__asm__(".pushsection .text\n"
        ".globl __fentry__\n"
        ".type __fentry__, @function\n"
        "__fentry__:\n"
        "\tret\n"
        ".size __fentry__, .-__fentry__\n"
        ".popsection\n");

void _start(void) __attribute__((noreturn, used));
void _start(void) {
  test_main();
  put_char('E');
  put_char('N');
  put_char('D');
  put_char('\n');
  for (;;) __asm__ volatile("cli\n\thlt" ::: "memory");
}

#endif /* FTSIM_NATIVE */

/* ---- output helpers (identical on both sides) ---- */

static UNUSED NOINLINE void put_str(const char *s) {
  while (*s) put_char(*s++);
}

static UNUSED void put_nl(void) { put_char('\n'); }
static UNUSED void put_sp(void) { put_char(' '); }

/* `digits` hex digits, no prefix, zero padded (higher bits are dropped). */
static UNUSED NOINLINE void put_hex(u64 v, int digits) {
  for (int i = digits - 1; i >= 0; i--) put_char("0123456789abcdef"[(v >> (i * 4)) & 15]);
}

/* Hex digits for a value of `bits` width: 8 -> 2 digits, 64 -> 16. */
static UNUSED void put_hexw(u64 v, int bits) { put_hex(v, bits / 4); }

static UNUSED NOINLINE void put_u64_hex(u64 v) {
  put_char('0');
  put_char('x');
  put_hex(v, 16);
}

static UNUSED NOINLINE void put_u64(u64 v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) put_char(buf[--n]);
}

static UNUSED NOINLINE void put_i64(s64 v) {
  if (v < 0) {
    put_char('-');
    put_u64(-(u64)v);
  } else {
    put_u64((u64)v);
  }
}

/* "name " prefix helper. */
static UNUSED void put_label(const char *s) {
  put_str(s);
  put_char(' ');
}

/* FNV-1a over bytes, for buffers too large to print. */
static UNUSED NOINLINE u64 fnv64(const void *p, u64 n) {
  const u8 *b = (const u8 *)p;
  u64 h = 0xcbf29ce484222325ull;
  for (u64 i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* Mask a value to `bits` width (bits in 8..64). */
static UNUSED inline u64 width_mask(int bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

#endif /* FTSIM_HARNESS_H */
