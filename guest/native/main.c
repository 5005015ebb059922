/* main.c: native shim: runs the bundled kernel as a Linux program, its console on stdout */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftsim.h>

extern volatile unsigned long workload_iterations;
extern volatile unsigned long smp_workload_iterations;
void start_kernel(void);

static unsigned long native_cycles;
static unsigned long native_cpus = 1;

/*
 * Native "tasks": one thread of execution, so a spawned task runs to
 * completion inside the spawn, on the spawner's stack, with an area of its
 * own standing in for the base of its stack (where the kernel keeps its
 * thread_info).
 */
static void *native_thread_area;
static long native_pid = 1;		/* the boot task */
static long native_last_pid = 1;

void *ftsim_native_thread_area(void)
{
	return native_thread_area;
}

static void *alloc_thread_area(void)
{
	void *area = NULL;

	if (posix_memalign(&area, FTSIM_THREAD_SIZE, FTSIM_THREAD_SIZE)) {
		fprintf(stderr, "ftsim-native: out of memory for a task\n");
		exit(1);
	}
	memset(area, 0, FTSIM_THREAD_SIZE);
	return area;
}

static long native_spawn(unsigned long fn, unsigned long arg, unsigned long cpu)
{
	int (*entry)(void *) = (int (*)(void *))fn;
	void *saved_area = native_thread_area;
	long saved_pid = native_pid;
	long pid;

	if (cpu >= native_cpus)
		return -22;	/* -EINVAL */
	pid = ++native_last_pid;
	native_thread_area = alloc_thread_area();
	native_pid = pid;
	entry((void *)arg);
	free(native_thread_area);
	native_thread_area = saved_area;
	native_pid = saved_pid;
	return pid;
}

/* The machine's hypercalls, as far as the native build can answer them. */
unsigned long ftsim_native_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
				     unsigned long a2, unsigned long a3)
{
	(void)a3;
	switch (nr) {
	case HC_NOP:
		return 0;
	case HC_CPU_ID:
		return 0;
	case HC_CYCLES:
		return ++native_cycles;
	case HC_SPAWN:
		return (unsigned long)native_spawn(a0, a1, a2);
	case HC_YIELD:
		return 0;
	case HC_EXIT:
		/* The boot task exits once every task it spawned has run. */
		exit(fflush(stdout) == 0 ? 0 : 1);
	case HC_SMP_BOOT:
		return native_cpus;
	case HC_CURRENT:
		return (unsigned long)native_pid;
	default:
		return (unsigned long)-38;	/* -ENOSYS */
	}
}

void ftsim_native_outb(unsigned short port, unsigned char val)
{
	if (port == FTSIM_CONSOLE_PORT)
		putchar_unlocked(val);
}

/* Only a panic halts from C; the guest would stop its CPU, we stop the process. */
void ftsim_native_halt(void)
{
	fflush(stdout);
	fprintf(stderr, "ftsim-native: guest halted the CPU\n");
	exit(1);
}

/* A lock found held: with one thread nobody would ever release it. */
void ftsim_native_deadlock(const void *lock)
{
	fflush(stdout);
	fprintf(stderr, "ftsim-native: deadlock: spinlock at %p is already held\n", lock);
	exit(1);
}

static int parse_number(const char *prog, const char *what, const char *arg, unsigned long *out)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 0);

	if (!*arg || *end) {
		fprintf(stderr, "%s: %s must be a number, not '%s'\n", prog, what, arg);
		return -1;
	}
	*out = n;
	return 0;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	unsigned long n;

	if (argc > 4) {
		fprintf(stderr, "usage: %s [workload_iterations|- [cpus [smp_workload_iterations]]]\n",
			argv[0]);
		return 2;
	}
	if (argc > 1 && strcmp(argv[1], "-") != 0) {
		if (parse_number(argv[0], "workload_iterations", argv[1], &n))
			return 2;
		workload_iterations = n;
	}
	if (argc > 2) {
		if (parse_number(argv[0], "cpus", argv[2], &n))
			return 2;
		if (n < 1 || n > 64) {
			fprintf(stderr, "%s: cpus must be between 1 and 64, not %lu\n", argv[0], n);
			return 2;
		}
		native_cpus = n;
	}
	if (argc > 3) {
		if (parse_number(argv[0], "smp_workload_iterations", argv[3], &n))
			return 2;
		smp_workload_iterations = n;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	native_thread_area = alloc_thread_area();
	start_kernel();
	/* start_kernel() ends the boot task with HC_EXIT; it does not come back. */
	fflush(stdout);
	fprintf(stderr, "ftsim-native: start_kernel returned\n");
	return 1;
}
