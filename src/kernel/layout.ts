// Guest address-space layout of what the ftsim kernel itself maps (the role of arch/x86/include/asm/pgtable_64_types.h).

/** cpu_entry_area: the IDT (read-only) and the entry text the kernel generates. */
export const IDT_BASE = 0xfffffe0000000000n;
export const IDT_SIZE = 4096;
export const ENTRY_TEXT_BASE = 0xfffffe0000001000n;
export const ENTRY_TEXT_SIZE = 0x4000;

/** Task stacks live in the vmalloc area, after the boot stack, each with a guard gap. */
export const STACKS_BASE = 0xffffc90000200000n;
export const THREAD_SIZE = 16384;
export const STACK_STRIDE = 0x8000n;

/** Interrupt vectors (arch/x86/include/asm/irq_vectors.h). */
export const NMI_VECTOR = 2;
export const LOCAL_TIMER_VECTOR = 0xec;
export const CALL_FUNCTION_VECTOR = 0xfb;
export const RESCHEDULE_VECTOR = 0xfd;

/** The simulated CPUs run at a nominal 1 GHz: one cycle is one nanosecond. */
export const CYCLES_PER_SECOND = 1_000_000_000;

/** Page size of every kernel allocation (vmalloc, module_alloc). */
export const PAGE_SIZE = 4096;

/**
 * Module space, as the kernel's: within rel32 reach of kernel text, so module code and trampolines
 * can call the kernel and be called from it (execmem / module_alloc).
 */
export const MODULES_VADDR = 0xffffffffa0000000n;
export const MODULES_END = 0xffffffffff000000n;

/**
 * vmalloc() data. The first 4 GiB of the kernel's vmalloc area (0xffffc90000000000) hold the boot
 * stack and the task stacks (STACKS_BASE onwards); allocations start above them.
 */
export const VMALLOC_START = 0xffffc90100000000n;
export const VMALLOC_END = 0xffffe8ffffffffffn + 1n;
