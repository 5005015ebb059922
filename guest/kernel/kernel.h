/* kernel.h: include/linux/{types,kernel,errno,printk,string}.h-alike: the basics every file uses */
#ifndef _KERNEL_H
#define _KERNEL_H

#include <stdarg.h>
#include <ftsim.h>

typedef unsigned char		u8;
typedef signed char		s8;
typedef unsigned short		u16;
typedef signed short		s16;
typedef unsigned int		u32;
typedef signed int		s32;
typedef unsigned long long	u64;
typedef signed long long	s64;

typedef unsigned long		size_t;
typedef long			ssize_t;
typedef long long		loff_t;
typedef unsigned short		umode_t;
typedef int			pid_t;
typedef unsigned int		gfp_t;
typedef _Bool			bool;

#define true	1
#define false	0
#define NULL	((void *)0)

#define __user
#define __init
#define __initdata
#define notrace		__attribute__((no_instrument_function))
#define noinline	__attribute__((noinline))
#define __always_inline	inline __attribute__((always_inline))
#define __aligned(x)	__attribute__((aligned(x)))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __maybe_unused	__attribute__((unused))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define barrier()	asm volatile("" : : : "memory")
#define _RET_IP_	((unsigned long)__builtin_return_address(0))
#define READ_ONCE(x)	(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val)	do { *(volatile typeof(x) *)&(x) = (val); } while (0)

#define offsetof(TYPE, MEMBER)	__builtin_offsetof(TYPE, MEMBER)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(arr)		(sizeof(arr) / sizeof((arr)[0]))
#define BITS_PER_LONG		64

#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define ALIGN(x, a)	(((x) + ((a) - 1)) & ~((typeof(x))(a) - 1))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/* errno-base.h */
#define EPERM		1
#define ENOENT		2
#define ESRCH		3
#define EINTR		4
#define EIO		5
#define ENXIO		6
#define EBADF		9
#define EAGAIN		11
#define ENOMEM		12
#define EACCES		13
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENOTDIR		20
#define EISDIR		21
#define EINVAL		22
#define EMFILE		24
#define EFBIG		27
#define ENOSPC		28
#define ESPIPE		29
#define ERANGE		34
#define ENAMETOOLONG	36
#define ENOSYS		38
#define ENOTEMPTY	39
#define ELOOP		40
#define EOVERFLOW	75

#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	unlikely((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR_VALUE((unsigned long)ptr);
}

/*
 * The native build links against libc, so the kernel's own string and
 * formatting helpers take other names there.  The guest uses the kernel's
 * names (gcc may also emit calls to memcpy/memset for struct copies).
 */
#ifdef FTSIM_NATIVE
#define memcpy		kernel_memcpy
#define memmove		kernel_memmove
#define memset		kernel_memset
#define memcmp		kernel_memcmp
#define memchr		kernel_memchr
#define strlen		kernel_strlen
#define strnlen		kernel_strnlen
#define strcmp		kernel_strcmp
#define strncmp		kernel_strncmp
#define strchr		kernel_strchr
#define strrchr		kernel_strrchr
#define strscpy		kernel_strscpy
#define vsnprintf	kernel_vsnprintf
#define snprintf	kernel_snprintf
#define scnprintf	kernel_scnprintf
#endif

/* lib/string.c */
void *memcpy(void *dest, const void *src, size_t count);
void *memmove(void *dest, const void *src, size_t count);
void *memset(void *s, int c, size_t count);
int memcmp(const void *cs, const void *ct, size_t count);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t count);
int strcmp(const char *cs, const char *ct);
int strncmp(const char *cs, const char *ct, size_t count);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
ssize_t strscpy(char *dest, const char *src, size_t count);

/* lib/vsprintf.c, kernel/printk/printk.c */
#define KERN_SOH	"\001"
#define KERN_EMERG	KERN_SOH "0"
#define KERN_ALERT	KERN_SOH "1"
#define KERN_CRIT	KERN_SOH "2"
#define KERN_ERR	KERN_SOH "3"
#define KERN_WARNING	KERN_SOH "4"
#define KERN_NOTICE	KERN_SOH "5"
#define KERN_INFO	KERN_SOH "6"
#define KERN_DEBUG	KERN_SOH "7"
#define KERN_CONT	KERN_SOH "c"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int scnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int printk(const char *fmt, ...) __printf(1, 2);
void console_init(void);
void __noreturn panic(const char *fmt, ...) __printf(1, 2);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_emerg(fmt, ...)	printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...)	printk(KERN_CONT fmt, ##__VA_ARGS__)

#define BUG() panic("kernel BUG at %s:%d!", __func__, __LINE__)
#define BUG_ON(cond)	do { if (unlikely(cond)) BUG(); } while (0)

/* lib/hash.c: jhash, name hashing, hash_32/64, crc32 */
u32 jhash(const void *key, u32 length, u32 initval);
u32 jhash2(const u32 *k, u32 length, u32 initval);
u32 full_name_hash(const void *salt, const char *name, unsigned int len);
u32 hash_32(u32 val, unsigned int bits);
u32 hash_64(u64 val, unsigned int bits);
void crc32_init(void);
u32 crc32_le(u32 crc, const u8 *p, size_t len);

/* init/main.c */
extern volatile unsigned long workload_iterations;
extern volatile unsigned long smp_workload_iterations;
extern unsigned long boot_cpu_id;
void start_kernel(void);

/* kernel/panic.c (in printk.c): the CPU that panicked, or -1 */
extern volatile int panic_cpu;
extern int oops_in_progress;
void __noreturn stop_this_cpu(void);

/* kernel/time/ */
#define HZ		250
#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_USEC	1000ULL
#define TICK_NSEC	(NSEC_PER_SEC / HZ)
extern volatile unsigned long jiffies;
extern u64 jiffies_64;
u64 sched_clock(void);
u64 local_clock(void);

#endif /* _KERNEL_H */
