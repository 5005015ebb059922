/* loops.c — decoder corpus: loops gcc unrolls and strength-reduces (sums, matrix multiply, sieve, sorting, checksums, searches). */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef short s16;
typedef int s32;
typedef long long s64;

u64 sum_u32(const u32 *a, int n) { u64 s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
s64 sum_s16(const s16 *a, int n) { s64 s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
u32 sum_u8(const u8 *a, unsigned long n) { u32 s = 0; while (n--) s += *a++; return s; }
s64 dot_s32(const s32 *a, const s32 *b, int n) { s64 s = 0; for (int i = 0; i < n; i++) s += (s64)a[i] * b[i]; return s; }
void saxpy_int(s32 *y, const s32 *x, s32 a, int n) { for (int i = 0; i < n; i++) y[i] += a * x[i]; }
void matmul4(s32 c[4][4], const s32 a[4][4], const s32 b[4][4]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      s32 s = 0;
      for (int k = 0; k < 4; k++) s += a[i][k] * b[k][j];
      c[i][j] = s;
    }
}
void matmul_n(s64 *c, const s64 *a, const s64 *b, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      s64 s = 0;
      for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
}
void transpose8(u8 m[8][8]) {
  for (int i = 0; i < 8; i++)
    for (int j = i + 1; j < 8; j++) { u8 t = m[i][j]; m[i][j] = m[j][i]; m[j][i] = t; }
}
int sieve(u8 *composite, int n) {
  int count = 0;
  for (int i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (long j = (long)i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}
void insertion_sort(s32 *a, int n) {
  for (int i = 1; i < n; i++) {
    s32 v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}
void heapify(u64 *a, int n, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && a[l] > a[m]) m = l;
    if (r < n && a[r] > a[m]) m = r;
    if (m == i) return;
    u64 t = a[i]; a[i] = a[m]; a[m] = t;
    i = m;
  }
}
void heap_sort(u64 *a, int n) {
  for (int i = n / 2 - 1; i >= 0; i--) heapify(a, n, i);
  for (int i = n - 1; i > 0; i--) { u64 t = a[0]; a[0] = a[i]; a[i] = t; heapify(a, i, 0); }
}
int binary_search(const u32 *a, int n, u32 key) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = lo + ((hi - lo) >> 1);
    if (a[mid] == key) return mid;
    if (a[mid] < key) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}
u16 ip_checksum(const u8 *buf, int len) {
  u32 sum = 0;
  for (int i = 0; i + 1 < len; i += 2) sum += (u32)buf[i] << 8 | buf[i + 1];
  if (len & 1) sum += (u32)buf[len - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (u16)~sum;
}
u32 adler32(const u8 *p, unsigned long n) {
  u32 a = 1, b = 0;
  while (n--) { a = (a + *p++) % 65521; b = (b + a) % 65521; }
  return b << 16 | a;
}
u32 fletcher16(const u8 *p, int n) {
  u16 s1 = 0, s2 = 0;
  for (int i = 0; i < n; i++) { s1 = (s1 + p[i]) % 255; s2 = (s2 + s1) % 255; }
  return (u32)s2 << 8 | s1;
}
void memset_loop(u8 *p, u8 v, int n) { for (int i = 0; i < n; i++) p[i] = v; }
void memcpy_loop(u64 *d, const u64 *s, int n) { for (int i = 0; i < n; i++) d[i] = s[i]; }
void zero_struct_array(u32 (*a)[6], int n) { for (int i = 0; i < n; i++) for (int j = 0; j < 6; j++) a[i][j] = 0; }
void reverse_u16(u16 *a, int n) { for (int i = 0, j = n - 1; i < j; i++, j--) { u16 t = a[i]; a[i] = a[j]; a[j] = t; } }
int count_matches(const u8 *a, const u8 *b, int n) { int c = 0; for (int i = 0; i < n; i++) c += a[i] == b[i]; return c; }
s32 max_subarray(const s32 *a, int n) {
  s32 best = a[0], cur = a[0];
  for (int i = 1; i < n; i++) {
    cur = cur + a[i] > a[i] ? cur + a[i] : a[i];
    best = cur > best ? cur : best;
  }
  return best;
}
void prefix_sum(u64 *a, int n) { for (int i = 1; i < n; i++) a[i] += a[i - 1]; }
u64 poly_eval(const s64 *c, int n, s64 x) { s64 r = 0; for (int i = n - 1; i >= 0; i--) r = r * x + c[i]; return (u64)r; }
int collatz_steps(u64 n) { int s = 0; while (n != 1) { n = n & 1 ? 3 * n + 1 : n / 2; s++; } return s; }
u32 histogram_max(const u8 *p, int n) {
  u32 h[16] = {0};
  for (int i = 0; i < n; i++) h[p[i] & 15]++;
  u32 m = 0;
  for (int i = 0; i < 16; i++) if (h[i] > m) m = h[i];
  return m;
}
void rle_encode(const u8 *in, int n, u8 *out, int *outn) {
  int o = 0;
  for (int i = 0; i < n;) {
    int j = i;
    while (j < n && in[j] == in[i] && j - i < 255) j++;
    out[o++] = (u8)(j - i);
    out[o++] = in[i];
    i = j;
  }
  *outn = o;
}
u64 nested_triangle(int n) { u64 s = 0; for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) s += (u64)i * j; return s; }
void bubble_u8(u8 *a, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j + 1 < n - i; j++)
      if (a[j] > a[j + 1]) { u8 t = a[j]; a[j] = a[j + 1]; a[j + 1] = t; }
}
int strided_sum(const int *a, int n, int stride) { int s = 0; for (int i = 0; i < n; i += stride) s += a[i]; return s; }

u64 arr64[64];
void corpus_loops(void) {
  prefix_sum(arr64, 64);
  heap_sort(arr64, 64);
}
