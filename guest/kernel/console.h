/* console.h: include/linux/console.h-alike: console drivers fed by printk */
#ifndef _CONSOLE_H
#define _CONSOLE_H

#include "list.h"

#define CON_PRINTBUFFER	1	/* replay the log buffer when registered */
#define CON_ENABLED	4
#define CON_BOOT	8

struct console {
	char		name[16];
	void		(*write)(struct console *con, const char *s, size_t n);
	short		flags;
	short		index;
	unsigned long	bytes_written;
	struct list_head list;
};

void register_console(struct console *newcon);
void console_unlock(void);
unsigned long console_bytes_written(void);
int vprintk_emit(const char *fmt, va_list args);

extern int console_loglevel;
extern unsigned long printk_records_stored;
extern unsigned long printk_records_suppressed;

#endif /* _CONSOLE_H */
