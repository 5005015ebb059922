/* workload.h: the bundled user space's "C library": system calls through the kernel's syscall entry */
#ifndef _WORKLOAD_H
#define _WORKLOAD_H

#include "fs.h"
#include "sched.h"
#include "syscalls.h"

/* Enter the kernel as a user program would: a pt_regs frame and do_syscall_64(). */
long syscall4(long nr, unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3);

#define UARG(x)	((unsigned long)(x))
static inline long u_open(const char *p, int fl, int mode) { return syscall4(__NR_open, UARG(p), fl, mode, 0); }
static inline long u_creat(const char *p, int mode) { return syscall4(__NR_creat, UARG(p), mode, 0, 0); }
static inline long u_close(int fd) { return syscall4(__NR_close, fd, 0, 0, 0); }
static inline long u_read(int fd, void *b, size_t n) { return syscall4(__NR_read, fd, UARG(b), n, 0); }
static inline long u_write(int fd, const void *b, size_t n) { return syscall4(__NR_write, fd, UARG(b), n, 0); }
static inline long u_pread(int fd, void *b, size_t n, long off) { return syscall4(__NR_pread64, fd, UARG(b), n, off); }
static inline long u_pwrite(int fd, const void *b, size_t n, long off) { return syscall4(__NR_pwrite64, fd, UARG(b), n, off); }
static inline long u_lseek(int fd, long off, int whence) { return syscall4(__NR_lseek, fd, off, whence, 0); }
static inline long u_fstat(int fd, struct stat *st) { return syscall4(__NR_fstat, fd, UARG(st), 0, 0); }
static inline long u_stat(const char *p, struct stat *st) { return syscall4(__NR_stat, UARG(p), UARG(st), 0, 0); }
static inline long u_unlink(const char *p) { return syscall4(__NR_unlink, UARG(p), 0, 0, 0); }

#endif /* _WORKLOAD_H */
