/* string.c: lib/string.c-alike: memcpy, memset, memmove, memcmp, strlen, strcmp, strscpy ... */
#include "kernel.h"

/*
 * These must not be turned back into calls to themselves by gcc's loop
 * idiom recognition (the guest is built with -O2, which enables it).
 */
#define __no_libcall_idiom \
	__attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Word accesses through a type that may alias anything. */
typedef u64 __attribute__((may_alias)) u64_alias;

__no_libcall_idiom
void *memcpy(void *dest, const void *src, size_t count)
{
	char *d = dest;
	const char *s = src;

	/* Word at a time while both sides are 8-byte aligned. */
	if ((((unsigned long)d | (unsigned long)s) & 7) == 0) {
		while (count >= 8) {
			*(u64_alias *)d = *(const u64_alias *)s;
			d += 8;
			s += 8;
			count -= 8;
		}
	}
	while (count--)
		*d++ = *s++;
	return dest;
}

__no_libcall_idiom
void *memmove(void *dest, const void *src, size_t count)
{
	char *d = dest;
	const char *s = src;

	if (d <= s || d >= s + count)
		return memcpy(dest, src, count);
	d += count;
	s += count;
	while (count--)
		*--d = *--s;
	return dest;
}

__no_libcall_idiom
void *memset(void *s, int c, size_t count)
{
	char *p = s;

	if (((unsigned long)p & 7) == 0 && count >= 8) {
		u64 pattern = (u8)c * 0x0101010101010101ULL;

		while (count >= 8) {
			*(u64_alias *)p = pattern;
			p += 8;
			count -= 8;
		}
	}
	while (count--)
		*p++ = (char)c;
	return s;
}

__no_libcall_idiom
int memcmp(const void *cs, const void *ct, size_t count)
{
	const unsigned char *su1 = cs, *su2 = ct;
	int res = 0;

	for (; count > 0; ++su1, ++su2, count--) {
		res = *su1 - *su2;
		if (res != 0)
			break;
	}
	return res;
}

__no_libcall_idiom
size_t strlen(const char *s)
{
	const char *sc;

	for (sc = s; *sc != '\0'; ++sc)
		;
	return sc - s;
}

__no_libcall_idiom
size_t strnlen(const char *s, size_t count)
{
	const char *sc;

	for (sc = s; count-- && *sc != '\0'; ++sc)
		;
	return sc - s;
}

int strcmp(const char *cs, const char *ct)
{
	unsigned char c1, c2;

	for (;;) {
		c1 = *cs++;
		c2 = *ct++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (!c1)
			break;
	}
	return 0;
}

int strncmp(const char *cs, const char *ct, size_t count)
{
	unsigned char c1, c2;

	while (count) {
		c1 = *cs++;
		c2 = *ct++;
		if (c1 != c2)
			return c1 < c2 ? -1 : 1;
		if (!c1)
			break;
		count--;
	}
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	while (n-- != 0) {
		if ((unsigned char)c == *p++)
			return (void *)(p - 1);
	}
	return NULL;
}

char *strchr(const char *s, int c)
{
	for (; *s != (char)c; ++s)
		if (*s == '\0')
			return NULL;
	return (char *)s;
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	do {
		if (*s == (char)c)
			last = s;
	} while (*s++);
	return (char *)last;
}

/*
 * Copy a NUL-terminated string into a sized buffer; always terminates.
 * Returns the number of characters copied or -E2BIG-ish (-ERANGE here) on truncation.
 */
__no_libcall_idiom
ssize_t strscpy(char *dest, const char *src, size_t count)
{
	size_t i;

	if (count == 0)
		return -ERANGE;
	for (i = 0; i < count; i++) {
		dest[i] = src[i];
		if (!src[i])
			return i;
	}
	dest[count - 1] = '\0';
	return -ERANGE;
}
