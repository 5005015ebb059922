/* printk.c: lib/vsprintf.c + kernel/printk/printk.c + kernel/panic.c-alike: formatting, record log buffer, consoles, panic */
#include "sched.h"
#include "console.h"

/* ---------------------------------------------------------------- vsprintf */

#define ZEROPAD	1	/* pad with zero */
#define SIGN	2	/* unsigned/signed */
#define PLUS	4	/* show plus */
#define SPACE	8	/* space if plus */
#define LEFT	16	/* left justified */
#define SMALL	32	/* use lowercase in hex */
#define SPECIAL	64	/* prefix hex with "0x", octal with "0" */

struct printf_spec {
	u8	flags;
	u8	base;
	s16	field_width;
	s16	precision;
};

static const char hex_digits_lower[] = "0123456789abcdef";
static const char hex_digits_upper[] = "0123456789ABCDEF";

static char *put_char(char *buf, char *end, char c)
{
	if (buf < end)
		*buf = c;
	return buf + 1;
}

static char *number(char *buf, char *end, unsigned long long num,
		    struct printf_spec spec)
{
	const char *digits = (spec.flags & SMALL) ? hex_digits_lower : hex_digits_upper;
	char tmp[24];
	char sign = 0;
	int field_width = spec.field_width;
	int precision = spec.precision;
	unsigned int base = spec.base;
	int i = 0;

	if (spec.flags & LEFT)
		spec.flags &= ~ZEROPAD;
	if (spec.flags & SIGN) {
		if ((long long)num < 0) {
			sign = '-';
			num = -(long long)num;
			field_width--;
		} else if (spec.flags & PLUS) {
			sign = '+';
			field_width--;
		} else if (spec.flags & SPACE) {
			sign = ' ';
			field_width--;
		}
	}
	if (spec.flags & SPECIAL) {
		if (base == 16)
			field_width -= 2;
		else if (base == 8)
			field_width--;
	}

	do {
		tmp[i++] = digits[num % base];
		num /= base;
	} while (num != 0);

	if (i > precision)
		precision = i;
	field_width -= precision;
	if (!(spec.flags & (ZEROPAD | LEFT))) {
		while (--field_width >= 0)
			buf = put_char(buf, end, ' ');
	}
	if (sign)
		buf = put_char(buf, end, sign);
	if (spec.flags & SPECIAL) {
		buf = put_char(buf, end, '0');
		if (base == 16)
			buf = put_char(buf, end, (spec.flags & SMALL) ? 'x' : 'X');
	}
	if (!(spec.flags & LEFT)) {
		char c = (spec.flags & ZEROPAD) ? '0' : ' ';

		while (--field_width >= 0)
			buf = put_char(buf, end, c);
	}
	while (i <= --precision)
		buf = put_char(buf, end, '0');
	while (--i >= 0)
		buf = put_char(buf, end, tmp[i]);
	while (--field_width >= 0)
		buf = put_char(buf, end, ' ');
	return buf;
}

static char *string(char *buf, char *end, const char *s, struct printf_spec spec)
{
	int len = 0;
	int lim = spec.precision;

	if (!s)
		s = "(null)";
	while (lim-- && s[len])
		len++;
	if (!(spec.flags & LEFT)) {
		while (len < spec.field_width--)
			buf = put_char(buf, end, ' ');
	}
	for (int i = 0; i < len; i++)
		buf = put_char(buf, end, s[i]);
	while (len < spec.field_width--)
		buf = put_char(buf, end, ' ');
	return buf;
}

/*
 * %p prints "(____ptrval____)" as the kernel does before its pointer-hashing
 * key is ready (addresses must not leak, and must not make output differ
 * between builds); %px prints the raw value.
 */
static char *pointer(const char **fmtp, char *buf, char *end, void *ptr,
		     struct printf_spec spec)
{
	const char *fmt = *fmtp;

	if (fmt[1] == 'x') {
		*fmtp = fmt + 1;
		spec.flags |= SMALL | ZEROPAD;
		spec.base = 16;
		if (spec.field_width < 0)
			spec.field_width = 16;
		return number(buf, end, (unsigned long)ptr, spec);
	}
	spec.precision = -1;
	return string(buf, end, ptr ? "(____ptrval____)" : "(null)", spec);
}

static int skip_atoi(const char **s)
{
	int i = 0;

	while (**s >= '0' && **s <= '9')
		i = i * 10 + *((*s)++) - '0';
	return i;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
	char *str = buf;
	char *end = buf + size;

	if ((long)size < 0)
		return 0;

	for (; *fmt; fmt++) {
		struct printf_spec spec = { .field_width = -1, .precision = -1, .base = 10 };
		unsigned long long num;
		int qualifier = 0;

		if (*fmt != '%') {
			str = put_char(str, end, *fmt);
			continue;
		}

		/* flags */
		for (;;) {
			fmt++;
			if (*fmt == '-')
				spec.flags |= LEFT;
			else if (*fmt == '+')
				spec.flags |= PLUS;
			else if (*fmt == ' ')
				spec.flags |= SPACE;
			else if (*fmt == '#')
				spec.flags |= SPECIAL;
			else if (*fmt == '0')
				spec.flags |= ZEROPAD;
			else
				break;
		}

		/* width */
		if (*fmt >= '0' && *fmt <= '9') {
			spec.field_width = skip_atoi(&fmt);
		} else if (*fmt == '*') {
			int w = va_arg(args, int);

			fmt++;
			if (w < 0) {
				spec.flags |= LEFT;
				w = -w;
			}
			spec.field_width = w;
		}

		/* precision */
		if (*fmt == '.') {
			fmt++;
			if (*fmt >= '0' && *fmt <= '9') {
				spec.precision = skip_atoi(&fmt);
			} else if (*fmt == '*') {
				fmt++;
				spec.precision = va_arg(args, int);
			} else {
				spec.precision = 0;
			}
			if (spec.precision < 0)
				spec.precision = 0;
		}

		/* length qualifier: hh h l ll z */
		if (*fmt == 'h' || *fmt == 'l' || *fmt == 'z') {
			qualifier = *fmt++;
			if (qualifier == *fmt) {
				qualifier = (qualifier == 'l') ? 'L' : 'H';
				fmt++;
			}
		}

		switch (*fmt) {
		case 'c':
			if (!(spec.flags & LEFT)) {
				while (--spec.field_width > 0)
					str = put_char(str, end, ' ');
			}
			str = put_char(str, end, (char)va_arg(args, int));
			while (--spec.field_width > 0)
				str = put_char(str, end, ' ');
			continue;
		case 's':
			str = string(str, end, va_arg(args, const char *), spec);
			continue;
		case 'p':
			str = pointer(&fmt, str, end, va_arg(args, void *), spec);
			continue;
		case '%':
			str = put_char(str, end, '%');
			continue;
		case 'o':
			spec.base = 8;
			break;
		case 'x':
			spec.flags |= SMALL;
			/* fall through */
		case 'X':
			spec.base = 16;
			break;
		case 'd':
		case 'i':
			spec.flags |= SIGN;
			break;
		case 'u':
			break;
		default:
			str = put_char(str, end, '%');
			if (*fmt)
				str = put_char(str, end, *fmt);
			else
				fmt--;
			continue;
		}

		switch (qualifier) {
		case 'L':
			num = va_arg(args, unsigned long long);
			break;
		case 'l':
		case 'z':
			num = va_arg(args, unsigned long);
			if (spec.flags & SIGN)
				num = (long)num;
			break;
		case 'h':
			num = (unsigned short)va_arg(args, int);
			if (spec.flags & SIGN)
				num = (short)num;
			break;
		case 'H':
			num = (unsigned char)va_arg(args, int);
			if (spec.flags & SIGN)
				num = (signed char)num;
			break;
		default:
			num = va_arg(args, unsigned int);
			if (spec.flags & SIGN)
				num = (int)num;
			break;
		}
		str = number(str, end, num, spec);
	}

	if (size > 0) {
		if (str < end)
			*str = '\0';
		else
			end[-1] = '\0';
	}
	return str - buf;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsnprintf(buf, size, fmt, args);
	va_end(args);
	return i;
}

/* Like snprintf but returns what was actually written (excluding the NUL). */
int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int i;

	va_start(args, fmt);
	i = vsnprintf(buf, size, fmt, args);
	va_end(args);
	if ((size_t)i < size)
		return i;
	return size ? (int)size - 1 : 0;
}

/* ------------------------------------------------------------------ printk */

/*
 * The log is a ring of variable-length records, each a header followed by
 * its text (no trailing newline); a record with len 0 marks a wrap to the
 * start.  Consoles print records from console_seq on, adding the
 * "[    1.234567] " prefix when they print.
 */
struct printk_log {
	u64	ts_nsec;
	u16	len;		/* whole record, aligned */
	u16	text_len;
	u8	level;
	u8	flags;
};

#define LOG_NEWLINE	1	/* text ended with a newline */
#define LOG_CONT	2	/* continues the previous record's line */

#define LOG_BUF_SHIFT	14
#define LOG_BUF_LEN	(1U << LOG_BUF_SHIFT)
#define LOG_ALIGN	8
#define LOG_LINE_MAX	512
#define PREFIX_MAX	32

#define DEFAULT_MESSAGE_LOGLEVEL	4
#define CONSOLE_LOGLEVEL_DEFAULT	7

static char __log_buf[LOG_BUF_LEN] __aligned(LOG_ALIGN);
static u32 log_first_idx;
static u32 log_next_idx;
static u64 log_first_seq;
static u64 log_next_seq;
static u8 log_last_flags = LOG_NEWLINE;
static u8 log_last_level = DEFAULT_MESSAGE_LOGLEVEL;

static u64 console_seq;
static u32 console_idx;
static u8 console_prev_flags = LOG_NEWLINE;
static u64 console_dropped;
int console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;

static LIST_HEAD(console_drivers);

/* Guards the log buffer, the console state and the two buffers below. */
static DEFINE_SPINLOCK(logbuf_lock);
static char textbuf[LOG_LINE_MAX];
static char outbuf[LOG_LINE_MAX + PREFIX_MAX];

volatile int panic_cpu = -1;
int oops_in_progress;

unsigned long printk_records_stored;
unsigned long printk_records_suppressed;

static struct printk_log *log_from_idx(u32 idx)
{
	struct printk_log *msg = (struct printk_log *)(__log_buf + idx);

	/* A zero-length record marks the wrap: the next one is at the start. */
	if (!msg->len)
		return (struct printk_log *)__log_buf;
	return msg;
}

static u32 log_next(u32 idx)
{
	struct printk_log *msg = (struct printk_log *)(__log_buf + idx);

	if (!msg->len) {
		msg = (struct printk_log *)__log_buf;
		return msg->len;
	}
	return idx + msg->len;
}

static bool logbuf_has_space(u32 msg_size, bool empty)
{
	u32 free;

	if (log_next_idx > log_first_idx || empty)
		free = max(LOG_BUF_LEN - log_next_idx, log_first_idx);
	else
		free = log_first_idx - log_next_idx;
	/* Keep room for a wrap marker after the record. */
	return free >= msg_size + sizeof(struct printk_log);
}

static void log_make_free_space(u32 msg_size)
{
	while (log_first_seq < log_next_seq &&
	       !logbuf_has_space(msg_size, false)) {
		log_first_idx = log_next(log_first_idx);
		log_first_seq++;
	}
}

static void log_store(u8 level, u8 flags, u64 ts_nsec, const char *text, u16 text_len)
{
	struct printk_log *msg;
	u32 size = ALIGN((u32)(sizeof(struct printk_log) + text_len), LOG_ALIGN);

	log_make_free_space(size);
	if (log_next_idx + size + sizeof(struct printk_log) > LOG_BUF_LEN) {
		/* Not enough room at the end: mark the wrap and start over. */
		memset(__log_buf + log_next_idx, 0, sizeof(struct printk_log));
		log_next_idx = 0;
		log_make_free_space(size);
	}

	msg = (struct printk_log *)(__log_buf + log_next_idx);
	memcpy(msg + 1, text, text_len);
	msg->ts_nsec = ts_nsec;
	msg->len = size;
	msg->text_len = text_len;
	msg->level = level;
	msg->flags = flags;

	log_next_idx += size;
	log_next_seq++;
	printk_records_stored++;
}

static size_t print_time(u64 ts, char *buf, size_t size)
{
	unsigned long rem_nsec = ts % NSEC_PER_SEC;

	return scnprintf(buf, size, "[%5lu.%06lu] ",
			 (unsigned long)(ts / NSEC_PER_SEC), rem_nsec / 1000);
}

static size_t msg_print_text(const struct printk_log *msg, u8 prev_flags,
			     char *buf, size_t size)
{
	size_t len = 0;

	if (!(prev_flags & LOG_NEWLINE) && !(msg->flags & LOG_CONT))
		buf[len++] = '\n';
	if (!(msg->flags & LOG_CONT))
		len += print_time(msg->ts_nsec, buf + len, size - len);
	memcpy(buf + len, (const char *)(msg + 1), msg->text_len);
	len += msg->text_len;
	if (msg->flags & LOG_NEWLINE)
		buf[len++] = '\n';
	return len;
}

static void call_console_drivers(const char *text, size_t len)
{
	struct console *con;

	list_for_each_entry(con, &console_drivers, list) {
		if (!(con->flags & CON_ENABLED))
			continue;
		con->write(con, text, len);
	}
}

/*
 * Print every record the consoles have not seen yet.  The kernel's
 * console_unlock() flushes when the console lock's holder lets it go; here
 * the consoles are serialised by logbuf_lock, which the caller holds.
 */
noinline void console_unlock(void)
{
	if (list_empty(&console_drivers))
		return;

	while (console_seq < log_next_seq) {
		struct printk_log *msg;
		size_t len;

		if (console_seq < log_first_seq) {
			/* Overwritten before it could be printed. */
			console_dropped += log_first_seq - console_seq;
			len = scnprintf(outbuf, sizeof(outbuf),
					"** %llu printk messages dropped **\n",
					console_dropped);
			call_console_drivers(outbuf, len);
			console_seq = log_first_seq;
			console_idx = log_first_idx;
			console_prev_flags = LOG_NEWLINE;
			console_dropped = 0;
		}

		msg = log_from_idx(console_idx);
		console_idx = log_next(console_idx);
		console_seq++;
		if (msg->level >= console_loglevel) {
			printk_records_suppressed++;
			continue;
		}
		len = msg_print_text(msg, console_prev_flags, outbuf, sizeof(outbuf));
		console_prev_flags = msg->flags;
		call_console_drivers(outbuf, len);
	}
}

static int printk_get_level(const char *buffer)
{
	if (buffer[0] == KERN_SOH[0] && buffer[1]) {
		switch (buffer[1]) {
		case '0' ... '7':
		case 'c':
			return buffer[1];
		}
	}
	return 0;
}

/*
 * Any CPU, any context but NMI (an NMI may strike a holder of logbuf_lock).
 * Once a panic is in progress, a CPU that cannot get the lock prints anyway.
 */
int vprintk_emit(const char *fmt, va_list args)
{
	unsigned long flags = local_irq_save();
	bool locked = true;
	u64 ts_nsec;
	char *text = textbuf;
	int level = DEFAULT_MESSAGE_LOGLEVEL;
	bool cont = false;
	int kern_level;
	size_t text_len;
	int printed;

	if (unlikely(oops_in_progress))
		locked = spin_trylock(&logbuf_lock);
	else
		spin_lock(&logbuf_lock);

	/* The clock counts its reads: read it under the lock, in log order. */
	ts_nsec = local_clock();
	text_len = vsnprintf(textbuf, sizeof(textbuf), fmt, args);
	if (text_len >= sizeof(textbuf))
		text_len = sizeof(textbuf) - 1;
	printed = text_len;

	while ((kern_level = printk_get_level(text)) != 0) {
		if (kern_level == 'c')
			cont = true;
		else
			level = kern_level - '0';
		text += 2;
		text_len -= 2;
	}

	/* A continuation only continues an unterminated line. */
	if (cont && (log_last_flags & LOG_NEWLINE))
		cont = false;
	if (cont)
		level = log_last_level;

	/* One record per line. */
	do {
		char *nl = memchr(text, '\n', text_len);
		u8 flags = cont ? LOG_CONT : 0;
		size_t line_len = text_len;

		if (nl) {
			line_len = nl - text;
			flags |= LOG_NEWLINE;
		}
		log_store(level, flags, ts_nsec, text, line_len);
		log_last_flags = flags;
		log_last_level = level;
		if (nl)
			line_len++;
		text += line_len;
		text_len -= line_len;
		cont = false;
	} while (text_len > 0);

	console_unlock();
	if (locked)
		spin_unlock(&logbuf_lock);
	local_irq_restore(flags);
	return printed;
}

int printk(const char *fmt, ...)
{
	va_list args;
	int r;

	va_start(args, fmt);
	r = vprintk_emit(fmt, args);
	va_end(args);
	return r;
}

void register_console(struct console *newcon)
{
	unsigned long flags;

	spin_lock_irqsave(&logbuf_lock, flags);
	newcon->flags |= CON_ENABLED;
	list_add_tail(&newcon->list, &console_drivers);
	if (newcon->flags & CON_PRINTBUFFER) {
		/* Replay everything still in the log, like a boot console. */
		console_seq = log_first_seq;
		console_idx = log_first_idx;
		console_prev_flags = LOG_NEWLINE;
	}
	spin_unlock_irqrestore(&logbuf_lock, flags);
	pr_info("printk: %sconsole [%s%d] enabled\n",
		(newcon->flags & CON_BOOT) ? "boot" : "", newcon->name, newcon->index);
}

/* A CPU that must stop for good: the machine halts a CPU that halts with interrupts off. */
void __noreturn stop_this_cpu(void)
{
	local_irq_disable();
	for (;;)
		halt();
}

/*
 * One CPU panics; any other that panics meanwhile just stops.  The others
 * stop at their next tick, or while spinning on a lock (see arch_spin_lock).
 */
void __noreturn panic(const char *fmt, ...)
{
	static char buf[256];
	va_list args;
	int this_cpu;

	local_irq_disable();
	this_cpu = smp_processor_id();
	if (cmpxchg32(&panic_cpu, -1, this_cpu) != -1 && panic_cpu != this_cpu)
		stop_this_cpu();
	oops_in_progress = 1;		/* bust_spinlocks(1) */
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	pr_emerg("Kernel panic - not syncing: %s\n", buf);
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", buf);
	for (;;)
		halt();
}

/* ------------------------------------------------------------ the console */

/* The machine's debug console: every byte written to port 0xE9 is output. */
static void debugcon_write(struct console *con, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		console_putc(s[i]);
	con->bytes_written += n;
}

static struct console debugcon = {
	.name	= "debugcon",
	.write	= debugcon_write,
	.flags	= CON_PRINTBUFFER | CON_BOOT,
	.index	= 0,
};

void __init console_init(void)
{
	register_console(&debugcon);
}

unsigned long console_bytes_written(void)
{
	return debugcon.bytes_written;
}
