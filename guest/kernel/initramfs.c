/* initramfs.c: init/initramfs.c + init/do_mounts.c-alike: populate the root ramfs at boot */
#include "fs.h"

static unsigned long initramfs_bytes;
static unsigned long initramfs_entries;

static int __init init_mkdir(const char *path, umode_t mode)
{
	initramfs_entries++;
	return do_mkdirat(AT_FDCWD, getname_kernel(path), mode);
}

static int __init init_mknod(const char *path, umode_t mode, unsigned int dev)
{
	initramfs_entries++;
	return do_mknodat(AT_FDCWD, getname_kernel(path), mode, dev);
}

/* Write len bytes at offset pos of path (created with mode if need be, as cpio's do_name()). */
static int __init write_file_at(const char *path, const void *data, size_t len, loff_t pos,
				umode_t mode)
{
	struct file *file = filp_open(path, O_WRONLY | O_CREAT, mode);
	ssize_t written;

	if (IS_ERR(file))
		return PTR_ERR(file);
	written = kernel_write(file, data, len, &pos);
	filp_close(file);
	if (written < 0)
		return written;
	initramfs_bytes += written;
	return written == (ssize_t)len ? 0 : -EIO;
}

static int __init write_file(const char *path, const char *text)
{
	initramfs_entries++;
	return write_file_at(path, text, strlen(text), 0, 0644);
}

static char __initdata scratch[PAGE_SIZE];

/* A text file of numbered lines, each with a hash so the content varies. */
static int __init make_notes(const char *path, unsigned int lines)
{
	unsigned int i;
	loff_t pos = 0;
	int err;

	initramfs_entries++;
	for (i = 0; i < lines; i++) {
		int len = scnprintf(scratch, sizeof(scratch),
				    "note %03u: the quick brown fox jumps over the lazy dog %08x\n",
				    i, jhash(&i, sizeof(i), 0x5eed));

		err = write_file_at(path, scratch, len, pos, 0644);
		if (err)
			return err;
		pos += len;
	}
	return 0;
}

/* A "binary": bytes from a 64-bit LCG, executable. */
static int __init make_binary(const char *path, size_t size, u64 seed, loff_t pos)
{
	u64 x = seed;
	size_t done = 0;
	int err;

	initramfs_entries++;
	while (done < size) {
		size_t chunk = min_t(size_t, size - done, sizeof(scratch));
		size_t i;

		for (i = 0; i < chunk; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			scratch[i] = (char)(x >> 56);
		}
		err = write_file_at(path, scratch, chunk, pos + done, 0755);
		if (err)
			return err;
		done += chunk;
	}
	return 0;
}

static const char *const initramfs_dirs[] = {
	"/bin", "/dev", "/etc", "/home", "/home/user", "/proc", "/root", "/sbin",
	"/tmp", "/usr", "/usr/lib", "/usr/lib/modules", "/usr/lib/modules/6.6.0-ftsim",
	"/var", "/var/log",
};

int __init populate_rootfs(void)
{
	unsigned int i;
	int err = 0;

	pr_info("Unpacking initramfs...\n");
	for (i = 0; i < ARRAY_SIZE(initramfs_dirs) && !err; i++)
		err = init_mkdir(initramfs_dirs[i], 0755);
	if (!err)
		err = init_mknod("/dev/null", S_IFCHR | 0666, MKDEV(MEM_MAJOR, 3));
	if (!err)
		err = init_mknod("/dev/zero", S_IFCHR | 0666, MKDEV(MEM_MAJOR, 5));
	if (!err)
		err = init_mknod("/dev/full", S_IFCHR | 0666, MKDEV(MEM_MAJOR, 7));
	if (!err)
		err = write_file("/etc/passwd",
				 "root:x:0:0:root:/root:/bin/sh\n"
				 "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
				 "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
				 "sys:x:3:3:sys:/dev:/usr/sbin/nologin\n"
				 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
				 "user:x:1000:1000:ftsim user:/home/user:/bin/sh\n");
	if (!err)
		err = write_file("/etc/hostname", "ftsim\n");
	if (!err)
		err = write_file("/etc/fstab", "rootfs\t/\tramfs\tdefaults\t0 0\n"
				 "proc\t/proc\tproc\tdefaults\t0 0\n");
	if (!err)
		err = write_file("/etc/motd",
				 "Welcome to ftsim: Linux dynamic ftrace on a simulated machine.\n"
				 "Try: echo function > /sys/kernel/tracing/current_tracer\n");
	if (!err)
		err = write_file("/usr/lib/modules/6.6.0-ftsim/modules.dep",
				 "kernel/fs/ramfs/ramfs.ko:\n"
				 "kernel/lib/crc32.ko:\n"
				 "kernel/samples/livepatch/livepatch-sample.ko:\n"
				 "kernel/samples/ftrace/ftrace-direct.ko:\n");
	if (!err)
		err = write_file("/var/log/messages", "");
	if (!err)
		err = make_notes("/home/user/notes.txt", 100);
	if (!err)
		err = make_binary("/sbin/init", 3000, 1, 0);
	if (!err)
		err = make_binary("/bin/sh", 9000, 2, 0);
	if (!err)
		err = make_binary("/bin/cat", 1500, 4, 0);
	/* Sparse: a hole of five pages, then data. */
	if (!err)
		err = make_binary("/bin/busybox", 700, 3, 5 * PAGE_SIZE + 100);
	if (err) {
		pr_err("Initramfs unpacking failed: %d\n", err);
		return err;
	}
	pr_info("Freeing initrd memory: %luK (%lu entries)\n",
		DIV_ROUND_UP(initramfs_bytes, 1024), initramfs_entries);
	return 0;
}
