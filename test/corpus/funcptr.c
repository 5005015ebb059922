/* funcptr.c — decoder corpus: function pointers, ops tables, callbacks, tail calls, recursion, variadic functions. */
typedef unsigned long u64;
typedef unsigned int u32;

struct file;
struct file_operations {
  long (*read)(struct file *, char *, unsigned long, long *);
  long (*write)(struct file *, const char *, unsigned long, long *);
  int (*open)(struct file *);
  int (*release)(struct file *);
  long (*llseek)(struct file *, long, int);
};
struct file { const struct file_operations *f_op; long f_pos; unsigned int f_flags; void *private_data; char buf[64]; };

static long mem_read(struct file *f, char *ubuf, unsigned long n, long *pos) {
  unsigned long i;
  for (i = 0; i < n && *pos + (long)i < 64; i++) ubuf[i] = f->buf[*pos + i];
  *pos += i;
  return (long)i;
}
static long mem_write(struct file *f, const char *ubuf, unsigned long n, long *pos) {
  unsigned long i;
  for (i = 0; i < n && *pos + (long)i < 64; i++) f->buf[*pos + i] = ubuf[i];
  *pos += i;
  return (long)i;
}
static int mem_open(struct file *f) { f->f_pos = 0; return 0; }
static int mem_release(struct file *f) { f->private_data = 0; return 0; }
static long mem_llseek(struct file *f, long off, int whence) {
  switch (whence) {
  case 0: f->f_pos = off; break;
  case 1: f->f_pos += off; break;
  case 2: f->f_pos = 64 + off; break;
  default: return -22;
  }
  return f->f_pos;
}
const struct file_operations mem_fops = {mem_read, mem_write, mem_open, mem_release, mem_llseek};
static long null_read(struct file *f, char *b, unsigned long n, long *p) { (void)f; (void)b; (void)n; (void)p; return 0; }
static long null_write(struct file *f, const char *b, unsigned long n, long *p) { (void)f; (void)b; (void)p; return (long)n; }
const struct file_operations null_fops = {.read = null_read, .write = null_write};

long vfs_read_like(struct file *file, char *buf, unsigned long count, long *pos) {
  if (!file->f_op || !file->f_op->read) return -22;
  if (!(file->f_flags & 1)) return -9;
  return file->f_op->read(file, buf, count, pos);
}
long vfs_write_like(struct file *file, const char *buf, unsigned long count, long *pos) {
  if (!file->f_op->write) return -22;
  return file->f_op->write(file, buf, count, pos);
}
long vfs_llseek_like(struct file *file, long off, int whence) {
  if (file->f_op->llseek) return file->f_op->llseek(file, off, whence);
  return -29;
}
int do_open(struct file *f, const struct file_operations *ops) {
  f->f_op = ops;
  f->f_flags = 3;
  return ops->open ? ops->open(f) : 0;
}

typedef int (*cmp_func_t)(const void *, const void *);
typedef void (*swap_func_t)(void *, void *, int);
static void generic_swap(void *a, void *b, int size) {
  char *x = a, *y = b;
  do { char t = *x; *x++ = *y; *y++ = t; } while (--size > 0);
}
void k_sort(void *base, unsigned long num, unsigned long size, cmp_func_t cmp, swap_func_t swp) {
  char *b = base;
  if (!swp) swp = generic_swap;
  for (unsigned long i = 1; i < num; i++)
    for (unsigned long j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; j--)
      swp(b + (j - 1) * size, b + j * size, (int)size);
}
int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int cmp_u64(const void *a, const void *b) {
  u64 x = *(const u64 *)a, y = *(const u64 *)b;
  return x < y ? -1 : x > y;
}
void *k_bsearch(const void *key, const void *base, unsigned long num, unsigned long size, cmp_func_t cmp) {
  const char *pivot;
  while (num > 0) {
    pivot = (const char *)base + (num >> 1) * size;
    int result = cmp(key, pivot);
    if (result == 0) return (void *)pivot;
    if (result > 0) { base = pivot + size; num--; }
    num >>= 1;
  }
  return 0;
}

typedef void (*notifier_fn_t)(void *data, unsigned long action);
struct notifier_block { notifier_fn_t call; struct notifier_block *next; int priority; };
struct notifier_block *chain_head;
void notifier_register(struct notifier_block *n) {
  struct notifier_block **nl = &chain_head;
  while (*nl && (*nl)->priority >= n->priority) nl = &(*nl)->next;
  n->next = *nl;
  *nl = n;
}
int notifier_call_chain(void *data, unsigned long action) {
  int n = 0;
  for (struct notifier_block *nb = chain_head; nb; nb = nb->next) { nb->call(data, action); n++; }
  return n;
}

u64 fib(unsigned int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
u64 ackermann(u64 m, u64 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ackermann(m - 1, 1);
  return ackermann(m - 1, ackermann(m, n - 1));
}
int is_even(unsigned int n);
int is_odd(unsigned int n) { return n == 0 ? 0 : is_even(n - 1); }
int is_even(unsigned int n) { return n == 0 ? 1 : is_odd(n - 1); }
u64 tail_sum(u64 n, u64 acc) { return n ? tail_sum(n - 1, acc + n) : acc; }
__attribute__((noinline)) u64 leaf_op(u64 a, u64 b) { return a * 31 + b; }
u64 tail_call_leaf(u64 a) { return leaf_op(a, a >> 3); }
u64 call_many_args(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g, u64 h) { return a + b * c - d + (e ^ f) + g * h; }
u64 call_with_stack_args(void) { return call_many_args(1, 2, 3, 4, 5, 6, 7, 8) + call_many_args(8, 7, 6, 5, 4, 3, 2, 1); }

u64 sum_va(int n, ...) {
  __builtin_va_list ap;
  u64 s = 0;
  __builtin_va_start(ap, n);
  for (int i = 0; i < n; i++) s += __builtin_va_arg(ap, u64);
  __builtin_va_end(ap);
  return s;
}
u64 use_va(void) { return sum_va(7, 1ul, 2ul, 3ul, 4ul, 5ul, 6ul, 7ul); }

typedef u64 (*binop_t)(u64, u64);
static u64 op_add(u64 a, u64 b) { return a + b; }
static u64 op_sub(u64 a, u64 b) { return a - b; }
static u64 op_mul(u64 a, u64 b) { return a * b; }
static u64 op_max(u64 a, u64 b) { return a > b ? a : b; }
binop_t ops_table[4] = {op_add, op_sub, op_mul, op_max};
u64 apply_op(unsigned int i, u64 a, u64 b) { return ops_table[i & 3](a, b); }
u64 fold(const u64 *v, int n, binop_t f, u64 init) {
  for (int i = 0; i < n; i++) init = f(init, v[i]);
  return init;
}
u64 fold_all(const u64 *v, int n) { return fold(v, n, op_add, 0) ^ fold(v, n, op_max, 0) ^ fold(v, n, ops_table[2], 1); }

struct file test_file;
void corpus_funcptr(void) {
  long pos = 0;
  do_open(&test_file, &mem_fops);
  vfs_write_like(&test_file, "abc", 3, &pos);
}
