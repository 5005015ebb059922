/* Floating-point and vectorizable code for the decoder's SSE/AVX/x87 differential test (never executed). */
typedef unsigned long size_t;
#define N 256
float fa[N], fb[N], fc[N];
double da[N], db[N], dc[N];
int ia[N], ib[N], ic[N];
short sa[N], sb[N];
unsigned char ua[N], ub[N];
long la[N], lb[N];
long double xa[N];

void saxpy(float k) { for (int i = 0; i < N; i++) fa[i] = k * fb[i] + fc[i]; }
void daxpy(double k) { for (int i = 0; i < N; i++) da[i] = k * db[i] + dc[i]; }
double dot(void) { double s = 0; for (int i = 0; i < N; i++) s += da[i] * db[i]; return s; }
float fsum(void) { float s = 0; for (int i = 0; i < N; i++) s += fa[i]; return s; }
void iadd(void) { for (int i = 0; i < N; i++) ia[i] = ib[i] + ic[i] * 3; }
void imin(void) { for (int i = 0; i < N; i++) ia[i] = ib[i] < ic[i] ? ib[i] : ic[i]; }
void umax(void) { for (int i = 0; i < N; i++) ua[i] = ua[i] > ub[i] ? ua[i] : ub[i]; }
void sshift(int k) { for (int i = 0; i < N; i++) sa[i] = (short)(sb[i] << k) >> 2; }
void widen(void) { for (int i = 0; i < N; i++) ia[i] = sa[i] + ua[i]; }
void narrow(void) { for (int i = 0; i < N; i++) sa[i] = (short)ia[i]; }
void i2f(void) { for (int i = 0; i < N; i++) fa[i] = (float)ia[i]; }
void f2i(void) { for (int i = 0; i < N; i++) ia[i] = (int)fa[i]; }
void f2d(void) { for (int i = 0; i < N; i++) da[i] = fa[i]; }
void d2f(void) { for (int i = 0; i < N; i++) fa[i] = (float)da[i]; }
void l2d(void) { for (int i = 0; i < N; i++) da[i] = (double)la[i]; }
void fabsv(void) { for (int i = 0; i < N; i++) fa[i] = fa[i] < 0 ? -fa[i] : fa[i]; }
void fsel(void) { for (int i = 0; i < N; i++) fa[i] = fb[i] > fc[i] ? fb[i] : fc[i]; }
void dmul(void) { for (int i = 0; i < N; i++) da[i] = da[i] * db[i] / (dc[i] + 1.0); }
void lxor(void) { for (int i = 0; i < N; i++) la[i] ^= lb[i] & (lb[i] >> 3); }
void lmul(void) { for (int i = 0; i < N; i++) la[i] = la[i] * lb[i]; }
void bytesum(unsigned *out) { unsigned s = 0; for (int i = 0; i < N; i++) s += ua[i]; *out = s; }
int cmpcount(void) { int n = 0; for (int i = 0; i < N; i++) n += ia[i] == ib[i]; return n; }
void zero(void) { for (int i = 0; i < N; i++) { fa[i] = 0; ia[i] = 0; } }
void rev(void) { for (int i = 0; i < N; i++) ia[i] = ib[N - 1 - i]; }
void interleave(void) { for (int i = 0; i < N / 2; i++) { fa[2 * i] = fb[i]; fa[2 * i + 1] = fc[i]; } }
double scalar(double x, double y, int k, long l) {
  double r = x * y + k;
  if (x < y) r -= l;
  if (x != y) r /= 3.0;
  return r > 100.0 ? (long)r : (int)r;
}
float scalarf(float x, float y, unsigned u) { return x > y ? x - u : y + (float)u; }
long double ld(long double x, long double y, int k) { long double r = x * y + k; for (int i = 0; i < 4; i++) r = r / (x + i) - xa[i]; xa[k & 7] = r; return r < 0 ? -r : r; }
long ld2l(long double x) { return (long)x + (int)(x * 2); }
long double ldsum(void) { long double s = 0; for (int i = 0; i < N; i++) s += xa[i] * xa[i]; return s; }
int ldcmp(long double x, long double y) { return (x < y) + (x == y) * 2 + (x >= y) * 4; }
struct big { long a[8]; };
void copybig(struct big *d, const struct big *s) { *d = *s; }
void clearbig(struct big *d) { struct big z = {0}; *d = z; }
