/* main.c: native shim: runs the bundled kernel as a Linux program, its console on stdout */
#include <stdio.h>
#include <stdlib.h>
#include <ftsim.h>

extern volatile unsigned long workload_iterations;
void start_kernel(void);

static unsigned long native_cycles;

/* The machine's hypercalls, as far as the native build can answer them. */
unsigned long ftsim_native_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
				     unsigned long a2, unsigned long a3)
{
	(void)a0;
	(void)a1;
	(void)a2;
	(void)a3;
	switch (nr) {
	case HC_NOP:
		return 0;
	case HC_CPU_ID:
		return 0;
	case HC_CYCLES:
		return ++native_cycles;
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

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];

	if (argc > 2) {
		fprintf(stderr, "usage: %s [workload_iterations]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		char *end;
		unsigned long n = strtoul(argv[1], &end, 0);

		if (!*argv[1] || *end) {
			fprintf(stderr, "%s: workload_iterations must be a number, not '%s'\n",
				argv[0], argv[1]);
			return 2;
		}
		workload_iterations = n;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	start_kernel();
	return fflush(stdout) == 0 ? 0 : 1;
}
