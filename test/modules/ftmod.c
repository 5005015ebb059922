/* ftmod.c: a small loadable module for the ftrace module tests (built with gcc -c and the kernel's tracing flags) */

#ifndef INIT_RESULT
#define INIT_RESULT 0
#endif

extern int printk(const char *fmt, ...);

int ftmod_counter;

__attribute__((noipa)) int ftmod_add(int a, int b)
{
	ftmod_counter++;
	return a + b;
}

__attribute__((noipa)) int ftmod_work(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s = ftmod_add(s, i);
	return s;
}

static __attribute__((noipa)) void ftmod_say(const char *what, int v)
{
	printk("ftmod: %s %d\n", what, v);
}

#ifdef BAD_SITE
/* a function whose recorded site holds another 5-byte nop, not call __fentry__ (an altered module) */
asm(".pushsection .text\n"
    ".globl ftmod_bad\n"
    ".type ftmod_bad, @function\n"
    "ftmod_bad:\n"
    "\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x08\n"
    "\tret\n"
    ".size ftmod_bad, . - ftmod_bad\n"
    ".popsection\n"
    ".pushsection __mcount_loc, \"a\", @progbits\n"
    "\t.quad ftmod_bad\n"
    ".popsection\n");
void ftmod_bad(void);
#endif

#ifdef UNKNOWN_SYMBOL
void no_such_kernel_function(void);
#endif

int init_module(void)
{
#ifdef UNKNOWN_SYMBOL
	no_such_kernel_function();
#endif
#ifdef BAD_SITE
	ftmod_bad();
#endif
	ftmod_say("init", ftmod_work(5));
	return INIT_RESULT;
}

void cleanup_module(void)
{
	ftmod_say("exit", ftmod_work(3));
}
