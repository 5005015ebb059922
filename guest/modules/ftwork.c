/* ftwork.c: the explorer's module (ftsim check --scenario module-load): small traced functions that tasks on other CPUs call in a loop while ftrace patches their sites; built into fixtures/ftwork.ko by guest/build.sh */

extern int printk(const char *fmt, ...);

/* calls made through ftwork_run since the module was loaded (each caller holds a module reference around its call) */
unsigned long ftwork_calls;

__attribute__((noipa)) int ftwork_mix(int a, int b)
{
	return a * 31 + b;
}

__attribute__((noipa)) int ftwork_step(int s, int i)
{
	return ftwork_mix(s, i) ^ (s >> 3);
}

__attribute__((noipa)) int ftwork_sum(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s = ftwork_step(s, i);
	return s;
}

/* the exported entry the callers use: one pass through every traced function */
__attribute__((noipa)) int ftwork_run(int n)
{
	ftwork_calls++;
	return ftwork_sum(n) + ftwork_mix(n, 1);
}

int init_module(void)
{
	printk("ftwork: loaded, %d\n", ftwork_run(2));
	return 0;
}

void cleanup_module(void)
{
	printk("ftwork: unloaded\n");
}
