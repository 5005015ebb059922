#!/bin/sh
# build.sh: rebuilds the bundled guest kernel (fixtures/vmlinux), its native twin, the expected console output and the explorer's module (fixtures/ftwork.ko)
#
# usage: guest/build.sh            rebuild fixtures/vmlinux, fixtures/vmlinux.console and fixtures/ftwork.ko
#        guest/build.sh --out DIR  build DIR/vmlinux, DIR/vmlinux-native, DIR/vmlinux.console, DIR/ftwork.ko only
#        guest/build.sh --check    build into a temporary directory and compare with fixtures/
#
# The image is reproducible: it is built from the repository root with relative
# paths, no debug info and no build id, so it is byte-identical wherever the
# repository is cloned (given the same gcc and binutils).
#
# vmlinux.console is what the native twin prints for CONSOLE_CPUS (4) CPUs,
# the CPU count `npm start` runs: for a given CPU count the guest's console is
# the same on every seed, and equal to `vmlinux-native - N` (N CPUs; the
# native program's arguments are [workload_iterations|- [cpus
# [smp_workload_iterations]]], "-" keeping the built-in default).
set -eu

usage() {
	echo "usage: $0 [--out DIR | --check | --help]"
}

cd "$(dirname "$0")/.."
export LC_ALL=C

CC=${CC:-gcc}

# The kernel's tracing flags (no -mnop-mcount: every traced function starts
# with "call __fentry__"), plus the kernel's own -mno-red-zone and
# -mgeneral-regs-only.  Jump tables are wanted.
GUEST_CFLAGS="-O2 -pg -mfentry -mrecord-mcount -mcmodel=kernel -fno-pic -ffreestanding \
-nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables -mno-red-zone \
-mgeneral-regs-only -fno-builtin -fcf-protection=none -Wall -Iguest/include"
GUEST_LDFLAGS="-static -no-pie -Wl,-Ttext=0xffffffff81000000 -Wl,--build-id=none -Wl,-e,startup_64"
NATIVE_CFLAGS="-O2 -DFTSIM_NATIVE -Wall -Iguest/include"
# Modules (guest/modules/*.c -> fixtures/*.ko): a relocatable object with the
# tracing flags, exactly the flags of test/helpers/gcc.ts's buildModule, so
# that a test can rebuild them with it and compare bytes.
MODULE_CFLAGS="-O2 -pg -mfentry -mrecord-mcount -mcmodel=kernel -fno-pic -ffreestanding \
-nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables -mno-red-zone \
-mgeneral-regs-only -fcf-protection=none -fno-common -c"
CONSOLE_CPUS=4

mode=fixtures
out=
case "${1:-}" in
	"") ;;
	--out) [ $# -eq 2 ] || { usage >&2; exit 2; }
	       mode=out; out=$2 ;;
	--check) [ $# -eq 1 ] || { usage >&2; exit 2; }
	       mode=check ;;
	--help|-h)
	       sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
	       exit 0 ;;
	*) usage >&2; exit 2 ;;
esac

command -v "$CC" >/dev/null 2>&1 || { echo "$0: $CC not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Sources in a fixed order: the entry code first, then C files by name.
kernel_c=$(ls guest/kernel/*.c | sort)
native_c=$(ls guest/native/*.c | sort)

# shellcheck disable=SC2086
$CC $GUEST_CFLAGS -o "$tmp/vmlinux" guest/kernel/head_64.S $kernel_c $GUEST_LDFLAGS
# shellcheck disable=SC2086
$CC $NATIVE_CFLAGS -o "$tmp/vmlinux-native" $kernel_c $native_c
"$tmp/vmlinux-native" - "$CONSOLE_CPUS" > "$tmp/vmlinux.console"
modules=
for src in $(ls guest/modules/*.c | sort); do
	ko=$(basename "$src" .c).ko
	# shellcheck disable=SC2086
	$CC $MODULE_CFLAGS -o "$tmp/$ko" "$src"
	modules="$modules $ko"
done

case $mode in
fixtures)
	mkdir -p fixtures guest/native/build
	cp "$tmp/vmlinux" fixtures/vmlinux
	cp "$tmp/vmlinux.console" fixtures/vmlinux.console
	cp "$tmp/vmlinux-native" guest/native/build/vmlinux-native
	for ko in $modules; do cp "$tmp/$ko" "fixtures/$ko"; done
	echo "built fixtures/vmlinux ($(wc -c < fixtures/vmlinux) bytes)," \
	     "fixtures/vmlinux.console ($(wc -l < fixtures/vmlinux.console) lines)," \
	     "guest/native/build/vmlinux-native, modules:$modules"
	;;
out)
	mkdir -p "$out"
	cp "$tmp/vmlinux" "$tmp/vmlinux-native" "$tmp/vmlinux.console" "$out/"
	for ko in $modules; do cp "$tmp/$ko" "$out/"; done
	;;
check)
	status=0
	cmp -s "$tmp/vmlinux" fixtures/vmlinux ||
		{ echo "fixtures/vmlinux differs from a fresh build of guest/" >&2; status=1; }
	cmp -s "$tmp/vmlinux.console" fixtures/vmlinux.console ||
		{ echo "fixtures/vmlinux.console differs from the native build's output" >&2; status=1; }
	for ko in $modules; do
		cmp -s "$tmp/$ko" "fixtures/$ko" ||
			{ echo "fixtures/$ko differs from a fresh build of guest/modules/" >&2; status=1; }
	done
	[ $status -eq 0 ] && echo "fixtures are up to date"
	exit $status
	;;
esac
