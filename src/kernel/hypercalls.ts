// Hypercall numbers of the ftsim kernel (guest/include/ftsim.h mirrors them); 0..2 belong to the machine.

export const HC_SPAWN = 3; // spawn(fn, arg, cpu) -> pid or -errno
export const HC_YIELD = 4; // give up the CPU
export const HC_EXIT = 5; // end the current task (never returns)
export const HC_SMP_BOOT = 6; // start the secondary CPUs in their idle loops and the local timers
export const HC_IDLE = 7; // idle loop: 1 while tasks remain in the system, 0 when it may halt
export const HC_CURRENT = 8; // pid of the current task
export const HC_INIT_MODULE = 9; // init_module(name): load the module file the host provides under this name and run its init -> 0 or -errno
export const HC_DELETE_MODULE = 10; // delete_module(name): run its cleanup and unload it -> 0 or -errno
/** Reserved for the kernel's own entry code. */
export const HC_IRQ = 0x100; // entry stubs: (pt_regs, vector) -> rsp to resume with; rdx = 1 to spin in stop_machine
export const HC_STOP_POLL = 0x101; // stop_machine spin: 1 while this CPU must keep spinning
export const HC_NMI_ENTER = 0x102; // NMI entry: 1 when an NMI handler is already running on this CPU (the new one is latched)
export const HC_NMI_EXIT = 0x103; // NMI exit: 1 when an NMI was latched meanwhile (run the handler again), else 0
export const HC_MODULE_CALL_DONE = 0x104; // the module loader's call stub: a module's init/cleanup returned rdi; rax <- the syscall's result
export const HC_MODULE_GET = 0x105; // the loader's caller stub: try_module_get for this task's caller -> the function (0: stop), rdi <- its argument
export const HC_MODULE_PUT = 0x106; // the loader's caller stub: module_put after the call returned
export const HC_FTRACE_FUNC = 0x110; // ftrace: a caller's call reached a TraceFunc stub; r11 = the stub's index
export const HC_FTRACE_LIVE = 0x111; // ftrace: a writer task asks the host to run its live update (rdi = the call's id)
export const HC_FTRACE_GRAPH_ENTRY = 0x112; // ftrace_graph_caller: prepare_ftrace_return(rdi = site, rsi = &the parent's return address slot)
export const HC_FTRACE_GRAPH_RETURN = 0x113; // return_to_handler: ftrace_return_to_handler (return value at [rsp]); the original return address -> rdi
