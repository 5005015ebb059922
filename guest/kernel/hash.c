/* hash.c: lib/jhash + include/linux/{hash,stringhash}.h + lib/crc32.c-alike: the kernel's hashes */
#include "kernel.h"
#include "sched.h"

static inline u32 rol32(u32 word, unsigned int shift)
{
	return (word << (shift & 31)) | (word >> ((-shift) & 31));
}

/* Bob Jenkins' lookup3 mixing, as used by the kernel's jhash. */
#define JHASH_INITVAL	0xdeadbeef

#define __jhash_mix(a, b, c)				\
do {							\
	a -= c;  a ^= rol32(c, 4);  c += b;		\
	b -= a;  b ^= rol32(a, 6);  a += c;		\
	c -= b;  c ^= rol32(b, 8);  b += a;		\
	a -= c;  a ^= rol32(c, 16); c += b;		\
	b -= a;  b ^= rol32(a, 19); a += c;		\
	c -= b;  c ^= rol32(b, 4);  b += a;		\
} while (0)

#define __jhash_final(a, b, c)				\
do {							\
	c ^= b; c -= rol32(b, 14);			\
	a ^= c; a -= rol32(c, 11);			\
	b ^= a; b -= rol32(a, 25);			\
	c ^= b; c -= rol32(b, 16);			\
	a ^= c; a -= rol32(c, 4);			\
	b ^= a; b -= rol32(a, 14);			\
	c ^= b; c -= rol32(b, 24);			\
} while (0)

/* Little-endian 32-bit load from a possibly unaligned byte pointer. */
static inline u32 get_unaligned_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/* Hash an arbitrary byte string. */
u32 jhash(const void *key, u32 length, u32 initval)
{
	const u8 *k = key;
	u32 a, b, c;

	a = b = c = JHASH_INITVAL + length + initval;

	while (length > 12) {
		a += get_unaligned_le32(k);
		b += get_unaligned_le32(k + 4);
		c += get_unaligned_le32(k + 8);
		__jhash_mix(a, b, c);
		length -= 12;
		k += 12;
	}

	/* The last 1..12 bytes; every case falls through. */
	switch (length) {
	case 12: c += (u32)k[11] << 24;	/* fall through */
	case 11: c += (u32)k[10] << 16;	/* fall through */
	case 10: c += (u32)k[9] << 8;	/* fall through */
	case 9:  c += k[8];		/* fall through */
	case 8:  b += (u32)k[7] << 24;	/* fall through */
	case 7:  b += (u32)k[6] << 16;	/* fall through */
	case 6:  b += (u32)k[5] << 8;	/* fall through */
	case 5:  b += k[4];		/* fall through */
	case 4:  a += (u32)k[3] << 24;	/* fall through */
	case 3:  a += (u32)k[2] << 16;	/* fall through */
	case 2:  a += (u32)k[1] << 8;	/* fall through */
	case 1:  a += k[0];
		__jhash_final(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

/* Hash an array of u32s; length counts words. */
u32 jhash2(const u32 *k, u32 length, u32 initval)
{
	u32 a, b, c;

	a = b = c = JHASH_INITVAL + (length << 2) + initval;

	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		__jhash_mix(a, b, c);
		length -= 3;
		k += 3;
	}

	switch (length) {
	case 3: c += k[2];	/* fall through */
	case 2: b += k[1];	/* fall through */
	case 1: a += k[0];
		__jhash_final(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

/*
 * A livepatch replacement for jhash2 (see crc32_le_v2 below): the same hash,
 * plus a per-CPU count of its calls.  Nothing in the image calls it.
 */
unsigned long jhash2_v2_calls[NR_CPUS];

u32 jhash2_v2(const u32 *k, u32 length, u32 initval)
{
	u32 a, b, c;

	jhash2_v2_calls[smp_processor_id()]++;
	a = b = c = JHASH_INITVAL + (length << 2) + initval;

	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		__jhash_mix(a, b, c);
		length -= 3;
		k += 3;
	}

	switch (length) {
	case 3: c += k[2];	/* fall through */
	case 2: b += k[1];	/* fall through */
	case 1: a += k[0];
		__jhash_final(a, b, c);
		break;
	case 0:
		break;
	}
	return c;
}

/* include/linux/hash.h: multiplicative hashing by the golden ratio. */
#define GOLDEN_RATIO_32 0x61C88647U
#define GOLDEN_RATIO_64 0x61C8864680B583EBULL

u32 hash_32(u32 val, unsigned int bits)
{
	return (val * GOLDEN_RATIO_32) >> (32 - bits);
}

u32 hash_64(u64 val, unsigned int bits)
{
	return (u32)((val * GOLDEN_RATIO_64) >> (64 - bits));
}

/* include/linux/stringhash.h: the classic incremental name hash. */
static inline unsigned long partial_name_hash(unsigned long c, unsigned long prevhash)
{
	return (prevhash + (c << 4) + (c >> 4)) * 11;
}

static inline u32 end_name_hash(unsigned long hash)
{
	return hash_64(hash, 32);
}

/*
 * The salt is the parent directory (the kernel hashes its address; we take
 * a caller-provided value so the hash is the same in every build).
 */
u32 full_name_hash(const void *salt, const char *name, unsigned int len)
{
	unsigned long hash = (unsigned long)salt;

	while (len--)
		hash = partial_name_hash((unsigned char)*name++, hash);
	return end_name_hash(hash);
}

/* lib/crc32.c: little-endian CRC32 (poly 0xedb88320), table built at boot. */
#define CRC32_POLY_LE	0xedb88320

static u32 crc32table_le[256];

void __init crc32_init(void)
{
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		u32 crc = i;

		for (j = 0; j < 8; j++)
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32_POLY_LE : 0);
		crc32table_le[i] = crc;
	}
}

/* Calls that ran this body, per CPU (never printed: ftsim's livepatch tests read it). */
unsigned long crc32_le_calls[NR_CPUS];

u32 crc32_le(u32 crc, const u8 *p, size_t len)
{
	crc32_le_calls[smp_processor_id()]++;
	while (len--)
		crc = (crc >> 8) ^ crc32table_le[(crc ^ *p++) & 0xff];
	return crc;
}

/*
 * Livepatch replacements: the same work as the originals, plus a per-CPU
 * count of their calls that nothing prints.  Nothing in the image calls
 * them: they are reached only when ftsim live-patches the original
 * (--livepatch crc32_le=crc32_le_v2), whose ftrace handler sets regs->ip.
 */
unsigned long crc32_le_v2_calls[NR_CPUS];

u32 crc32_le_v2(u32 crc, const u8 *p, size_t len)
{
	crc32_le_v2_calls[smp_processor_id()]++;
	while (len--)
		crc = (crc >> 8) ^ crc32table_le[(crc ^ *p++) & 0xff];
	return crc;
}
