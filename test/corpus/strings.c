/* strings.c — decoder corpus: kernel lib/string.c and lib/vsprintf.c style string handling. */
typedef unsigned long size_t;
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

size_t k_strlen(const char *s) {
  const char *sc;
  for (sc = s; *sc != '\0'; ++sc)
    ;
  return sc - s;
}
size_t k_strnlen(const char *s, size_t count) {
  const char *sc;
  for (sc = s; count-- && *sc != '\0'; ++sc)
    ;
  return sc - s;
}
char *k_strcpy(char *dest, const char *src) {
  char *tmp = dest;
  while ((*dest++ = *src++) != '\0')
    ;
  return tmp;
}
char *k_strncpy(char *dest, const char *src, size_t count) {
  char *tmp = dest;
  while (count) {
    if ((*tmp = *src) != 0) src++;
    tmp++;
    count--;
  }
  return dest;
}
size_t k_strlcpy(char *dest, const char *src, size_t size) {
  size_t ret = k_strlen(src);
  if (size) {
    size_t len = (ret >= size) ? size - 1 : ret;
    for (size_t i = 0; i < len; i++) dest[i] = src[i];
    dest[len] = '\0';
  }
  return ret;
}
char *k_strcat(char *dest, const char *src) {
  char *tmp = dest;
  while (*dest) dest++;
  while ((*dest++ = *src++) != '\0')
    ;
  return tmp;
}
int k_strcmp(const char *cs, const char *ct) {
  unsigned char c1, c2;
  while (1) {
    c1 = *cs++;
    c2 = *ct++;
    if (c1 != c2) return c1 < c2 ? -1 : 1;
    if (!c1) break;
  }
  return 0;
}
int k_strncmp(const char *cs, const char *ct, size_t count) {
  unsigned char c1, c2;
  while (count) {
    c1 = *cs++;
    c2 = *ct++;
    if (c1 != c2) return c1 < c2 ? -1 : 1;
    if (!c1) break;
    count--;
  }
  return 0;
}
static inline int k_tolower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static inline int k_toupper(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
int k_strcasecmp(const char *s1, const char *s2) {
  int c1, c2;
  do {
    c1 = k_tolower(*s1++);
    c2 = k_tolower(*s2++);
  } while (c1 == c2 && c1 != 0);
  return c1 - c2;
}
char *k_strchr(const char *s, int c) {
  for (; *s != (char)c; ++s)
    if (*s == '\0') return 0;
  return (char *)s;
}
char *k_strrchr(const char *s, int c) {
  const char *last = 0;
  do {
    if (*s == (char)c) last = s;
  } while (*s++);
  return (char *)last;
}
char *k_strstr(const char *s1, const char *s2) {
  size_t l1, l2;
  l2 = k_strlen(s2);
  if (!l2) return (char *)s1;
  l1 = k_strlen(s1);
  while (l1 >= l2) {
    l1--;
    if (!k_strncmp(s1, s2, l2)) return (char *)s1;
    s1++;
  }
  return 0;
}
size_t k_strspn(const char *s, const char *accept) {
  const char *p;
  for (p = s; *p != '\0'; ++p)
    if (!k_strchr(accept, *p)) break;
  return p - s;
}
char *k_strsep(char **s, const char *ct) {
  char *sbegin = *s, *end;
  if (sbegin == 0) return 0;
  end = sbegin + k_strspn(sbegin, ct);
  for (end = sbegin; *end; end++)
    if (k_strchr(ct, *end)) break;
  if (*end) *end++ = '\0';
  else end = 0;
  *s = end;
  return sbegin;
}
void *k_memchr(const void *s, int c, size_t n) {
  const unsigned char *p = s;
  while (n-- != 0)
    if ((unsigned char)c == *p++) return (void *)(p - 1);
  return 0;
}
void *k_memscan(void *addr, int c, size_t size) {
  unsigned char *p = addr;
  while (size) {
    if (*p == (unsigned char)c) return (void *)p;
    p++;
    size--;
  }
  return (void *)p;
}
char *k_strim(char *s) {
  size_t size = k_strlen(s);
  char *end;
  if (!size) return s;
  end = s + size - 1;
  while (end >= s && (*end == ' ' || *end == '\t' || *end == '\n')) end--;
  *(end + 1) = '\0';
  while (*s == ' ' || *s == '\t') s++;
  return s;
}
void k_strreplace(char *s, char old, char new_) {
  for (; *s; ++s)
    if (*s == old) *s = new_;
}
void k_str_upper(char *dst, const char *src) {
  while (*src) *dst++ = (char)k_toupper(*src++);
  *dst = 0;
}

/* numbers */
static const char hex_asc[] = "0123456789abcdef";
int hex_to_bin(unsigned char ch) {
  unsigned char cu = ch & 0xdf;
  return -1 + ((ch - '0' + 1) & (unsigned)((ch - '9' - 1) & ('0' - 1 - ch)) >> 8) +
         ((cu - 'A' + 11) & (unsigned)((cu - 'F' - 1) & ('A' - 1 - cu)) >> 8);
}
char *hex_byte_pack(char *buf, u8 byte) {
  *buf++ = hex_asc[byte >> 4];
  *buf++ = hex_asc[byte & 0x0f];
  return buf;
}
int kstrtoull(const char *s, unsigned int base, u64 *res) {
  u64 acc = 0;
  int any = 0;
  if (base == 0) {
    base = 10;
    if (s[0] == '0') {
      base = 8;
      s++;
      if ((*s | 0x20) == 'x') { base = 16; s++; }
    }
  }
  for (;; s++) {
    unsigned int v;
    char c = *s;
    if (c >= '0' && c <= '9') v = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') v = (c | 0x20) - 'a' + 10;
    else break;
    if (v >= base) break;
    if (acc > (~0ULL - v) / base) return -34;
    acc = acc * base + v;
    any = 1;
  }
  if (!any) return -22;
  *res = acc;
  return 0;
}
int kstrtoll(const char *s, s64 *res) {
  u64 t;
  int neg = 0;
  if (*s == '-') { neg = 1; s++; }
  int rv = kstrtoull(s, 0, &t);
  if (rv) return rv;
  *res = neg ? -(s64)t : (s64)t;
  return 0;
}
int simple_atoi(const char *s) {
  int i = 0;
  while (*s >= '0' && *s <= '9') i = i * 10 + *(s++) - '0';
  return i;
}
char *put_dec(char *buf, u64 n) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (i) *buf++ = tmp[--i];
  return buf;
}
char *put_hex(char *buf, u64 n, int width, int upper) {
  char tmp[17];
  int i = 0;
  do {
    char c = hex_asc[n & 15];
    tmp[i++] = upper && c >= 'a' ? c - 32 : c;
    n >>= 4;
  } while (n);
  while (i < width) tmp[i++] = '0';
  while (i) *buf++ = tmp[--i];
  return buf;
}
char *put_oct(char *buf, unsigned int n) {
  char tmp[12];
  int i = 0;
  do { tmp[i++] = (char)('0' + (n & 7)); n >>= 3; } while (n);
  while (i) *buf++ = tmp[--i];
  return buf;
}

/* a tiny vsnprintf over a fixed argument array */
int k_snprintf(char *buf, size_t size, const char *fmt, const u64 *args) {
  char *str = buf, *end = buf + size;
  char tmp[32];
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      if (str < end) *str = *fmt;
      str++;
      continue;
    }
    fmt++;
    int width = 0;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    char *t = tmp, *e;
    switch (*fmt) {
    case 'd': {
      s64 v = (s64)*args++;
      if (v < 0) { *t++ = '-'; v = -v; }
      e = put_dec(t, (u64)v);
      break;
    }
    case 'u': e = put_dec(t, *args++); break;
    case 'x': e = put_hex(t, *args++, width, 0); break;
    case 'X': e = put_hex(t, *args++, width, 1); break;
    case 'o': e = put_oct(t, (unsigned int)*args++); break;
    case 'c': *t = (char)*args++; e = t + 1; break;
    case 's': {
      const char *s = (const char *)*args++;
      while (*s) {
        if (str < end) *str = *s;
        str++;
        s++;
      }
      continue;
    }
    case '%': *t = '%'; e = t + 1; break;
    default: e = t; break;
    }
    for (char *q = tmp; q < e; q++) {
      if (str < end) *str = *q;
      str++;
    }
  }
  if (size) {
    if (str < end) *str = '\0';
    else end[-1] = '\0';
  }
  return (int)(str - buf);
}

u32 full_name_hash(const char *name, unsigned int len) {
  u64 hash = 0;
  while (len--) hash = (hash + (unsigned char)*name++) * 0x9e3779b97f4a7c15ull;
  return (u32)(hash >> 32);
}
int glob_match(const char *pat, const char *str) {
  const char *back_pat = 0, *back_str = 0;
  for (;;) {
    unsigned char c = *str++;
    unsigned char d = *pat++;
    switch (d) {
    case '?':
      if (c == '\0') return 0;
      break;
    case '*':
      if (*pat == '\0') return 1;
      back_pat = pat;
      back_str = --str;
      break;
    case '\\':
      d = *pat++;
      /* fallthrough */
    default:
      if (c == d) {
        if (d == '\0') return 1;
        break;
      }
      if (c == '\0' || !back_pat) return 0;
      pat = back_pat;
      str = ++back_str;
      break;
    }
  }
}

char strbuf[256];
void corpus_strings(void) {
  static const u64 args[] = {42, 0xbeef, 7};
  k_snprintf(strbuf, sizeof strbuf, "%d %x %u", args);
  k_strlcpy(strbuf, "hello", 8);
}
