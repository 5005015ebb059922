/* version.c: init/version.c-alike: the banner and the uts name */
#include "kernel.h"
#include "syscalls.h"

#define UTS_RELEASE	"6.6.0-ftsim"
#define UTS_VERSION	"#1 SMP PREEMPT_DYNAMIC"

/* No build date or host: the image and its output are reproducible. */
const char linux_banner[] =
	"Linux version " UTS_RELEASE " (ftsim@ftsim) (gcc version " __VERSION__ ") "
	UTS_VERSION "\n";

struct new_utsname init_uts_ns = {
	.sysname	= "Linux",
	.nodename	= "ftsim",
	.release	= UTS_RELEASE,
	.version	= UTS_VERSION,
	.machine	= "x86_64",
	.domainname	= "(none)",
};
