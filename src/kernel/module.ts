// Loadable kernel modules: load_module, do_init_module, delete_module and free_module in the kernel's order, with the ftrace hooks, kallsyms and module memory (kernel/module/main.c).
//
// A module is a relocatable object (gcc -c -pg -mfentry -mrecord-mcount -mcmodel=kernel). Loading it:
//   1. layout and allocation in module space, within rel32 of kernel text (text R+X, rodata R, data R+W);
//   2. relocation against the image's global symbols (__fentry__, printk, ...) and earlier modules';
//   3. kallsyms: its symbols join the symbol table, named `func [mod]`;
//   4. ftrace_module_init: every __mcount_loc site checked and made the 5-byte nop, records DISABLED,
//      while no CPU can run the code (a host write: text_poke_early's role);
//   5. ftrace_module_enable: the records join the ops that want them (a module loaded while a tracer is
//      on is traced at once);
//   6. its init function (`init_module`) runs on a CPU in the loading task's context; a negative return
//      unloads it again. Unloading runs `cleanup_module`, then ftrace_release_mod, then frees the memory
//      and drops the symbols.
// The guest asks with two hypercalls, init_module(name) and delete_module(name) (the file comes from
// what the host provided under that name, as finit_module takes a file); the host API spawns a task
// that makes them (insmod, rmmod), or loads a module at boot before any CPU runs (loadEarly).
// Users of a module's functions hold a reference around each call (try_module_get / module_put):
// startCaller spawns a task that calls an exported function in a loop that way, from loader text that
// is never freed; delete_module refuses a module in use (-EWOULDBLOCK) unless forced (O_TRUNC).

import { parseElf, ElfError, SHF_EXECINSTR, SHF_WRITE, type ElfImage } from '../loader/elf.js';
import { linkModule, moduleName, type LinkedModule } from '../loader/module.js';
import type { SymbolTable } from '../loader/symbols.js';
import { PERM_R, PERM_W, PERM_X, addrToNum, hex } from '../machine/memory.js';
import { Asm, RAX, RBP, RSP, RDI, RSI, RDX, RCX, R8, R9, R10, R11 } from '../machine/x86/encoder.js';
import { RDI as CPU_RDI, RSI as CPU_RSI, RSP as CPU_RSP, RAX as CPU_RAX, type Cpu } from '../machine/x86/cpu.js';
import type { HostThread, HostYield } from '../machine/scheduler.js';
import { HC_INIT_MODULE, HC_DELETE_MODULE, HC_MODULE_CALL_DONE, HC_MODULE_GET, HC_MODULE_PUT } from './hypercalls.js';
import { MODULES_VADDR, PAGE_SIZE } from './layout.js';
import { VmallocError, type VmPart } from './vmalloc.js';
import type { Kernel, Task } from './kernel.js';

export const ENOENT = 2;
export const ENOEXEC = 8;
export const EWOULDBLOCK = 11;
export const EFAULT = 14;
export const ENOMEM = 12;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;

/** MODULE_NAME_LEN: a name has at most 55 characters. */
export const MODULE_NAME_LEN = 56;

/** delete_module's O_TRUNC: unload even a module in use (CONFIG_MODULE_FORCE_UNLOAD). */
export const O_TRUNC = 0o1000;

const ERRNO_NAMES: Record<number, string> = {
  [ENOENT]: 'ENOENT', [ENOEXEC]: 'ENOEXEC', [EWOULDBLOCK]: 'EWOULDBLOCK', [EFAULT]: 'EFAULT', [ENOMEM]: 'ENOMEM', [EBUSY]: 'EBUSY', [EEXIST]: 'EEXIST', [EINVAL]: 'EINVAL',
};

/** `-EEXIST` for -17. */
export function errnoName(err: number): string {
  return `-${ERRNO_NAMES[-err] ?? String(-err)}`;
}

/** A module the kernel refused, with the error the syscall returns (positive errno). */
export class ModuleError extends Error {
  constructor(message: string, readonly errno: number) {
    super(message);
  }
}

/** MODULE_STATE_COMING / LIVE / GOING; 'gone' once freed. */
export type ModuleState = 'coming' | 'live' | 'going' | 'gone';

/** What the kernel keeps about a loaded module (struct module). */
export interface KernelModule {
  name: string;
  file: string;
  state: ModuleState;
  base: bigint;
  size: number;
  textRanges: readonly { addr: bigint; size: number }[];
  /** Its __mcount_loc: the relocated __fentry__ call sites. */
  sites: readonly bigint[];
  /** init_module and cleanup_module, when it has them. */
  init: bigint | null;
  exit: bigint | null;
  /** What init returned (once it ran). */
  initResult: number | null;
  /** Its global symbols, which later modules may link against. */
  globals: ReadonlyMap<string, bigint>;
  /** References held (module_refcount): callers inside one of its functions. */
  refcnt: number;
}

/** The function a site belongs to, as ftrace records it. */
export interface ModuleSiteSymbol {
  name: string;
  start: bigint;
  size: number;
  module?: string;
}

/** The ftrace hooks load_module and delete_module call (FtraceCore provides them). */
export interface ModuleFtraceHooks {
  ftraceModuleInit(mod: string, sites: readonly bigint[], resolve: (ip: bigint) => ModuleSiteSymbol | undefined): number;
  ftraceModuleEnable(mod: string): Generator<HostYield, number, void>;
  ftraceReleaseMod(mod: string): Generator<HostYield, number, void>;
}

export interface KernelModulesOptions {
  /** kallsyms: module symbols are added here with their module name, and dropped on unload. */
  symbols: SymbolTable;
  /** The image's symbols a module may link against (its global ones), by name. */
  kernelSymbol: (name: string) => bigint | undefined;
  ftrace?: ModuleFtraceHooks;
  /** Where the loader's kernel messages go (one complete line per call). */
  printk?: (text: string) => void;
}

/** A host request (insmod / rmmod) made through a task: `result` is null until the syscall returned. */
export interface ModuleRequest {
  readonly name: string;
  result: number | null;
  /** Why it failed, when it did. */
  message: string | null;
}

interface PendingCall {
  kind: 'init' | 'exit';
  mod: KernelModule;
}

interface GuestStubs {
  insmodTask: bigint;
  rmmodTask: bigint;
  initcallTask: bigint;
  moduleCall: bigint;
  callerTask: bigint;
}

/** A task calling a module function in a loop (startCaller). */
interface ModuleCaller {
  mod: string;
  fn: bigint;
  arg: bigint;
  /** Set by stopCallers: the next try_module_get fails. */
  stop: boolean;
  /** Its last try_module_get failed: it left the loop and never enters the module again. */
  done: boolean;
  /** The module it holds a reference to, between get and put. */
  held: KernelModule | null;
}

/** KernelModules' host state in a kernel snapshot (tasks by pid: restore makes new Task objects). */
export interface KernelModulesState {
  list: { mod: KernelModule; state: ModuleState; initResult: number | null; refcnt: number }[];
  files: [string, { file: string; bytes: Uint8Array }][];
  calls: [number, PendingCall][];
  requests: [number, { req: ModuleRequest; result: number | null; message: string | null; nameBuf: bigint }][];
  callers: [number, ModuleCaller][];
  stubs: GuestStubs | null;
}

/** The loaded modules of one kernel (the kernel's `modules` list) and the loader that changes it. */
export class KernelModules {
  /** Loaded modules in load order (coming, live and going ones). */
  readonly list: KernelModule[] = [];
  /** Test hook: called right before a module's init runs (its sites are final, no CPU has run its code). */
  onBeforeInit: ((mod: KernelModule) => void) | null = null;
  /** ftrace's module hooks, once ftrace_init ran (null: no dynamic ftrace, sites keep their call __fentry__). */
  ftrace: ModuleFtraceHooks | null;
  private readonly files = new Map<string, { file: string; bytes: Uint8Array }>();
  private readonly calls = new Map<Task, PendingCall>();
  private readonly requests = new Map<Task, { req: ModuleRequest; nameBuf: bigint }>();
  private readonly callers = new Map<Task, ModuleCaller>();
  private stubs: GuestStubs | null = null;
  private readonly printk: (text: string) => void;

  constructor(readonly kernel: Kernel, private readonly opts: KernelModulesOptions) {
    this.printk = opts.printk ?? (() => {});
    this.ftrace = opts.ftrace ?? null;
    const m = kernel.machine;
    m.registerHypercall(HC_INIT_MODULE, 'init_module', (cpu) => this.hcInitModule(cpu));
    m.registerHypercall(HC_DELETE_MODULE, 'delete_module', (cpu) => this.hcDeleteModule(cpu));
    m.registerHypercall(HC_MODULE_CALL_DONE, 'module call done', (cpu) => this.hcCallDone(cpu));
    m.registerHypercall(HC_MODULE_GET, 'try_module_get', (cpu) => this.hcModuleGet(cpu));
    m.registerHypercall(HC_MODULE_PUT, 'module_put', (cpu) => this.hcModulePut(cpu));
  }

  find(name: string): KernelModule | undefined {
    return this.list.find((m) => m.name === name);
  }

  /** Make a module file loadable by name (the kernel's view of /lib/modules); returns the module's name. */
  provide(file: string, bytes: Uint8Array): string {
    const name = moduleName(file);
    this.files.set(name, { file, bytes });
    return name;
  }

  /**
   * Load a module before any CPU runs (at boot, after ftrace_init): everything up to ftrace_module_enable
   * happens now; its init runs in a new task 'insmod' on `cpu` once the machine runs. Throws
   * ModuleError (bad file, unknown symbol, name taken).
   */
  loadEarly(bytes: Uint8Array, file: string, cpu = 0): KernelModule {
    this.provide(file, bytes);
    const mod = this.layoutAndLink(bytes, file);
    // no CPU has run yet, so nothing holds the ftrace lock: the enable runs through without waiting
    if (!this.formation(mod).next().done) throw new Error(`module ${mod.name}: ftrace_module_enable had to wait for the ftrace lock at boot`);
    if (mod.init === null) {
      mod.state = 'live';
      return mod;
    }
    const task = this.kernel.spawn(this.guestStubs().initcallTask, mod.init, cpu, 'insmod');
    this.calls.set(task, { kind: 'init', mod });
    return mod;
  }

  /** insmod: a new task on `cpu` calls init_module(name) for this file; the request's result is set when it returns. */
  insmod(bytes: Uint8Array, file: string, cpu: number): ModuleRequest {
    const name = this.provide(file, bytes);
    return this.request(this.guestStubs().insmodTask, name, cpu, 'insmod');
  }

  /** rmmod: a new task on `cpu` calls delete_module(name, flags); `force` passes O_TRUNC (rmmod -f). */
  rmmod(name: string, cpu: number, opts: { force?: boolean } = {}): ModuleRequest {
    return this.request(this.guestStubs().rmmodTask, name, cpu, 'rmmod', opts.force === true ? O_TRUNC : 0);
  }

  /** The buffer a request task gets: the name (MODULE_NAME_LEN bytes), then the syscall's flags (8 bytes). */
  private request(entry: bigint, name: string, cpu: number, comm: string, flags = 0): ModuleRequest {
    const req: ModuleRequest = { name, result: null, message: null };
    const k = this.kernel;
    const nameBuf = k.vm.vmalloc(MODULE_NAME_LEN + 8, `${comm} ${name}`);
    const text = new TextEncoder().encode(name).subarray(0, MODULE_NAME_LEN - 1);
    const buf = new Uint8Array(MODULE_NAME_LEN + 8);
    buf.set(text);
    new DataView(buf.buffer).setBigUint64(MODULE_NAME_LEN, BigInt(flags), true);
    k.machine.mem.write(nameBuf, buf);
    const task = k.spawn(entry, nameBuf, cpu, comm);
    this.requests.set(task, { req, nameBuf });
    return req;
  }

  /**
   * A task on `cpu` that calls the live module `mod`'s global function `fn`(arg) over and over, each
   * call between try_module_get and module_put, until the module is no longer live or stopCallers.
   * The loop is loader text, never freed: once a get fails the task is out of the module for good.
   */
  startCaller(mod: string, fn: string, arg: bigint, cpu: number): Task {
    const m = this.find(mod);
    if (m === undefined || m.state !== 'live') throw new ModuleError(`module ${mod} is not loaded and live: nothing to call`, ENOENT);
    const addr = m.globals.get(fn);
    if (addr === undefined) throw new ModuleError(`module ${mod} has no global symbol ${fn}`, ENOENT);
    const task = this.kernel.spawn(this.guestStubs().callerTask, 0n, cpu, `${mod}-caller/${cpu}`);
    this.callers.set(task, { mod, fn: addr, arg, stop: false, done: false, held: null });
    return task;
  }

  /** Make every caller of `mod` fail its next try_module_get (the user of the module lets go of it). */
  stopCallers(mod: string): void {
    for (const c of this.callers.values()) if (c.mod === mod) c.stop = true;
  }

  /** Callers of `mod` still in their loop (they may enter the module again, or are inside it). */
  callersRunning(mod: string): number {
    let n = 0;
    for (const c of this.callers.values()) if (c.mod === mod && !c.done) n++;
    return n;
  }

  /** try_module_get: rax <- the function and rdi <- its argument while the module is live; else rax <- 0. */
  private hcModuleGet(cpu: Cpu): void {
    const task = this.kernel.current[cpu.id];
    const c = this.callers.get(task);
    if (c === undefined) throw new Error(`try_module_get: task ${task.name} (pid ${task.pid}) is not a module caller`);
    const mod = this.find(c.mod);
    if (c.stop || mod === undefined || mod.state !== 'live') {
      c.done = true;
      cpu.setReg(CPU_RAX, 0n);
      return;
    }
    mod.refcnt++;
    c.held = mod;
    cpu.setReg(CPU_RDI, c.arg);
    cpu.setReg(CPU_RAX, c.fn);
  }

  /** module_put after the call returned. */
  private hcModulePut(cpu: Cpu): void {
    const task = this.kernel.current[cpu.id];
    const c = this.callers.get(task);
    if (c === undefined || c.held === null) throw new Error(`module_put: task ${task.name} (pid ${task.pid}) holds no module reference`);
    c.held.refcnt--;
    c.held = null;
  }

  // ---------------------------------------------------------------- snapshots

  /** The loader's host state (the modules' own memory is the machine's and the vm's). */
  save(): KernelModulesState {
    const pid = <V>(m: Map<Task, V>): [number, V][] => [...m.entries()].map(([t, v]) => [t.pid, v]);
    return {
      list: this.list.map((mod) => ({ mod, state: mod.state, initResult: mod.initResult, refcnt: mod.refcnt })),
      files: [...this.files.entries()],
      calls: pid(this.calls),
      requests: [...this.requests.entries()].map(([t, r]) => [t.pid, { ...r, result: r.req.result, message: r.req.message }]),
      callers: [...this.callers.entries()].map(([t, c]) => [t.pid, { ...c }]),
      stubs: this.stubs,
    };
  }

  restore(s: KernelModulesState): void {
    const byPid = new Map(this.kernel.sched.tasks.map((t) => [t.pid, t]));
    const task = (pid: number): Task => {
      const t = byPid.get(pid);
      if (t === undefined) throw new Error(`module snapshot: task pid ${pid} is not in the restored kernel`);
      return t;
    };
    this.list.length = 0;
    for (const e of s.list) {
      e.mod.state = e.state;
      e.mod.initResult = e.initResult;
      e.mod.refcnt = e.refcnt;
      this.list.push(e.mod);
    }
    this.files.clear();
    for (const [n, f] of s.files) this.files.set(n, f);
    this.calls.clear();
    for (const [p, c] of s.calls) this.calls.set(task(p), c);
    this.requests.clear();
    for (const [p, r] of s.requests) {
      r.req.result = r.result;
      r.req.message = r.message;
      this.requests.set(task(p), { req: r.req, nameBuf: r.nameBuf });
    }
    this.callers.clear();
    for (const [p, c] of s.callers) this.callers.set(task(p), { ...c });
    this.stubs = s.stubs;
  }

  // ---------------------------------------------------------------- load_module

  private fail(message: string, errno: number): never {
    throw new ModuleError(message, errno);
  }

  /** A symbol a module refers to: earlier modules' globals, then the image's (resolve_symbol). */
  private resolveSymbol(name: string): bigint | undefined {
    for (const m of this.list) {
      const v = m.globals.get(name);
      if (v !== undefined) return v;
    }
    return this.opts.kernelSymbol(name);
  }

  /** Steps 1-3: parse, lay out, allocate, relocate, copy, kallsyms. The module is COMING. */
  private layoutAndLink(bytes: Uint8Array, file: string): KernelModule {
    const name = moduleName(file);
    if (name.length === 0) this.fail(`${file}: a module file name must give the module a name`, EINVAL);
    if (name.length >= MODULE_NAME_LEN) this.fail(`${file}: module name ${name} is longer than ${MODULE_NAME_LEN - 1} characters`, EINVAL);
    const had = this.find(name);
    if (had) this.fail(`${file}: module ${name} is already loaded (from ${had.file}, ${had.state}): ${errnoName(-EEXIST)}`, EEXIST);
    let probe: LinkedModule;
    let obj: ElfImage;
    try {
      obj = parseElf(bytes, file);
      probe = linkModule(obj, MODULES_VADDR, (n) => this.resolveSymbol(n));
    } catch (e) {
      if (e instanceof ElfError) this.fail(e.message, /: unknown symbols? /.test(e.message) ? ENOENT : ENOEXEC);
      throw e;
    }
    if (probe.size === 0) this.fail(`${file}: the module has no allocatable sections`, ENOEXEC);
    const parts = modulePerms(probe);
    let base: bigint;
    try {
      base = this.kernel.vm.moduleAllocLayout(probe.size, parts, name);
    } catch (e) {
      if (e instanceof VmallocError) this.fail(`${file}: ${e.message}`, ENOMEM);
      throw e;
    }
    const linked = linkModule(obj, base, (n) => this.resolveSymbol(n)); // same layout at another page: cannot fail now
    const mem = this.kernel.machine.mem;
    for (let i = 0; i < parts.length; i++) {
      const end = i + 1 < parts.length ? parts[i + 1].offset : linked.size;
      if (end > parts[i].offset) mem.write(base + BigInt(parts[i].offset), linked.bytes.subarray(parts[i].offset, end));
    }
    const globals = new Map<string, bigint>();
    for (const s of linked.symbols) if ((s.bind === 'global' || s.bind === 'weak') && s.name) globals.set(s.name, s.value);
    const fn = (n: string): bigint | null => {
      const s = linked.symbols.find((x) => x.name === n && x.bind !== 'local' && x.type === 'func');
      return s ? s.value : null;
    };
    const mod: KernelModule = {
      name, file, state: 'coming', base, size: linked.size, textRanges: linked.textRanges, sites: linked.mcountLoc,
      init: fn('init_module'), exit: fn('cleanup_module'), initResult: null, globals, refcnt: 0,
    };
    this.opts.symbols.add(linked.symbols.map((s) => ({ name: s.name, value: s.value, size: s.size, type: s.type, bind: s.bind, module: name })));
    this.list.push(mod);
    return mod;
  }

  /** Steps 4-5: ftrace_module_init (sites to the nop, records DISABLED), then ftrace_module_enable. */
  private *formation(mod: KernelModule): Generator<HostYield, void, void> {
    const ft = this.ftrace;
    if (!ft || mod.sites.length === 0) return;
    const syms = this.opts.symbols;
    ft.ftraceModuleInit(mod.name, mod.sites, (ip) => {
      const n = syms.nearest(ip);
      if (n === undefined || n.offset !== 0n || n.module !== mod.name) return undefined;
      return { name: n.name, start: n.value, size: syms.sizeOf(ip), module: mod.name };
    });
    yield* ft.ftraceModuleEnable(mod.name);
  }

  /** ftrace_release_mod, then free_module: memory and symbols go; the module leaves the list. */
  private *release(mod: KernelModule): Generator<HostYield, void, void> {
    mod.state = 'going';
    if (this.ftrace && mod.sites.length > 0) yield* this.ftrace.ftraceReleaseMod(mod.name);
    this.opts.symbols.removeRange(mod.base, mod.base + BigInt(mod.size));
    this.kernel.vm.moduleMemfree(mod.base);
    mod.state = 'gone';
    const i = this.list.indexOf(mod);
    if (i >= 0) this.list.splice(i, 1);
  }

  // ---------------------------------------------------------------- the syscalls

  /** The syscall returns `result` in rax; a host request made by this task learns it. */
  private finish(cpu: Cpu, result: number, message: string | null = null): void {
    cpu.setReg(CPU_RAX, BigInt.asUintN(64, BigInt(result)));
    if (message !== null) this.printk(`${message}\n`);
    const task = this.kernel.current[cpu.id];
    const r = this.requests.get(task);
    if (r) {
      this.requests.delete(task);
      r.req.result = result;
      r.req.message = message;
      this.kernel.vm.vfree(r.nameBuf);
    }
  }

  /** strncpy_from_user of the name: -EFAULT when unreadable, cut at MODULE_NAME_LEN - 1. */
  private readName(ptr: bigint): string | null {
    const mem = this.kernel.machine.mem;
    let s = '';
    try {
      for (let i = 0; i < MODULE_NAME_LEN - 1; i++) {
        const b = mem.read(ptr + BigInt(i), 1)[0];
        if (b === 0) break;
        s += String.fromCharCode(b);
      }
    } catch {
      return null;
    }
    return s;
  }

  /**
   * Run a module function in the calling task's context, as if the syscall called it: the stub saves
   * the caller-saved registers, calls `fn`, and reports back (HC_MODULE_CALL_DONE), whose handler sets
   * the syscall's result; the stub then returns to the instruction after the syscall's vmcall.
   */
  private enterCall(cpu: Cpu, call: PendingCall, fn: bigint): void {
    const k = this.kernel;
    const ret = cpu.getRip();
    const sp = BigInt.asUintN(64, cpu.getReg(CPU_RSP) - 8n);
    k.machine.mem.writeU64(sp, ret);
    cpu.setReg(CPU_RSP, sp);
    k.flow?.expectReturn(cpu.id, addrToNum(ret));
    cpu.setReg(CPU_RAX, fn);
    cpu.setRip(this.guestStubs().moduleCall);
    this.calls.set(k.current[cpu.id], call);
  }

  /** init_module(name): load the provided file and run its init in this task (load_module + do_init_module). */
  private hcInitModule(cpu: Cpu): void {
    const name = this.readName(cpu.getReg(CPU_RDI));
    if (name === null) return this.finish(cpu, -EFAULT, `init_module: the name at ${hex(cpu.getReg(CPU_RDI))} is not readable: ${errnoName(-EFAULT)}`);
    const f = this.files.get(name);
    if (!f) return this.finish(cpu, -ENOENT, `init_module: no module file was provided for ${name}: ${errnoName(-ENOENT)}`);
    let mod: KernelModule;
    try {
      mod = this.layoutAndLink(f.bytes, f.file);
    } catch (e) {
      if (e instanceof ModuleError) return this.finish(cpu, -e.errno, `init_module: ${e.message}`);
      throw e;
    }
    const self = this;
    this.kernel.startHostThread(cpu.id, (function* (): HostThread {
      yield* self.formation(mod);
      if (mod.init === null) {
        mod.state = 'live';
        self.finish(cpu, 0);
        return;
      }
      self.onBeforeInit?.(mod);
      self.enterCall(cpu, { kind: 'init', mod }, mod.init);
    })());
  }

  /**
   * delete_module(name, flags): -ENOENT unknown, -EBUSY not live or without cleanup_module, -EWOULDBLOCK
   * in use (try_stop_module) unless O_TRUNC forces it; else GOING (no new reference), cleanup, release, free.
   */
  private hcDeleteModule(cpu: Cpu): void {
    const name = this.readName(cpu.getReg(CPU_RDI));
    if (name === null) return this.finish(cpu, -EFAULT, `delete_module: the name at ${hex(cpu.getReg(CPU_RDI))} is not readable: ${errnoName(-EFAULT)}`);
    const mod = this.find(name);
    if (!mod) return this.finish(cpu, -ENOENT, `delete_module: module ${name} is not loaded: ${errnoName(-ENOENT)}`);
    if (mod.state !== 'live') return this.finish(cpu, -EBUSY, `delete_module: module ${name} is ${mod.state}, not live: ${errnoName(-EBUSY)}`);
    if (mod.init !== null && mod.exit === null) {
      return this.finish(cpu, -EBUSY, `delete_module: module ${name} has init_module but no cleanup_module: it cannot be unloaded: ${errnoName(-EBUSY)}`);
    }
    if (mod.refcnt > 0) {
      if ((cpu.getReg(CPU_RSI) & BigInt(O_TRUNC)) === 0n) {
        return this.finish(cpu, -EWOULDBLOCK, `delete_module: module ${name} is in use (${mod.refcnt} reference${mod.refcnt === 1 ? '' : 's'}): ${errnoName(-EWOULDBLOCK)}`);
      }
      this.printk(`${name}: forced unload while in use (${mod.refcnt} reference${mod.refcnt === 1 ? '' : 's'})\n`);
    }
    mod.state = 'going';
    if (mod.exit !== null) return this.enterCall(cpu, { kind: 'exit', mod }, mod.exit);
    this.releaseThen(cpu, mod, 0);
  }

  private releaseThen(cpu: Cpu, mod: KernelModule, result: number, message: string | null = null): void {
    const self = this;
    this.kernel.startHostThread(cpu.id, (function* (): HostThread {
      yield* self.release(mod);
      self.finish(cpu, result, message);
    })());
  }

  /** The stub's report: init or cleanup returned (rdi). */
  private hcCallDone(cpu: Cpu): void {
    const task = this.kernel.current[cpu.id];
    const call = this.calls.get(task);
    if (!call) throw new Error(`module_call: task ${task.name} (pid ${task.pid}) returned from a module call it never made`);
    this.calls.delete(task);
    const ret = Number(BigInt.asIntN(32, cpu.getReg(CPU_RDI)));
    const mod = call.mod;
    if (call.kind === 'exit') return this.releaseThen(cpu, mod, 0);
    mod.initResult = ret;
    if (ret < 0) {
      // do_init_module's failure path: the module is unloaded again, the syscall returns init's error
      return this.releaseThen(cpu, mod, ret, `${mod.name}: init_module returned ${errnoName(ret)}; the module is unloaded`);
    }
    mod.state = 'live';
    this.finish(cpu, 0, ret > 0 ? `${mod.name}: 'init' suspiciously returned ${ret}, it should follow 0/-E convention` : null);
  }

  // ---------------------------------------------------------------- guest stubs

  /** The loader's guest code, made on first use in module space. */
  private guestStubs(): GuestStubs {
    if (this.stubs) return this.stubs;
    const k = this.kernel;
    const base = k.vm.moduleAlloc(256, 'module loader stubs');
    const a = new Asm(base);
    // insmod / rmmod tasks (rdi = the name): the syscall, then back to the task exit
    a.label('insmod_task').movImm32(RAX, HC_INIT_MODULE).vmcall().ret();
    a.label('rmmod_task').load(RSI, RDI, MODULE_NAME_LEN).movImm32(RAX, HC_DELETE_MODULE).vmcall().ret();
    // a task that runs one init function (rdi) at boot
    a.label('initcall_task').mov(RAX, RDI);
    // module_call: rax = the function; the host pushed the syscall's return point
    const saved = [RDI, RSI, RDX, RCX, R8, R9, R10, R11];
    a.label('module_call').push(RBP).mov(RBP, RSP);
    for (const r of saved) a.push(r);
    a.andImm(RSP, -16).callReg(RAX).mov(RDI, RAX).movImm32(RAX, HC_MODULE_CALL_DONE).vmcall();
    a.mov(RSP, RBP).subImm(RSP, 8 * saved.length);
    for (const r of [...saved].reverse()) a.pop(r);
    a.pop(RBP).ret();
    // a module caller: loop { fn = try_module_get(); if (!fn) break; fn(arg); module_put(); }
    a.label('module_caller').push(RBP).mov(RBP, RSP).andImm(RSP, -16);
    a.label('module_caller_loop').movImm32(RAX, HC_MODULE_GET).vmcall().test(RAX, RAX).jccLabel(4 /* je */, 'module_caller_out');
    a.callReg(RAX).movImm32(RAX, HC_MODULE_PUT).vmcall().jmpLabel('module_caller_loop');
    a.label('module_caller_out').mov(RSP, RBP).pop(RBP).ret();
    const code = a.finish();
    k.machine.mem.write(base, code); // new text: no CPU can be executing it
    const names = ['insmod_task', 'rmmod_task', 'initcall_task', 'module_call', 'module_caller'] as const;
    const addrs = names.map((n) => a.addressOf(n));
    this.opts.symbols.add(names.map((n, i) => ({
      name: n, value: addrs[i], size: Number((i + 1 < names.length ? addrs[i + 1] : base + BigInt(code.length)) - addrs[i]), type: 'func',
    })));
    this.stubs = { insmodTask: addrs[0], rmmodTask: addrs[1], initcallTask: addrs[2], moduleCall: addrs[3], callerTask: addrs[4] };
    return this.stubs;
  }
}

/** The permissions of a linked module's pages: text R+X, then read-only data R, then data and bss R+W. */
export function modulePerms(m: LinkedModule): VmPart[] {
  const page = BigInt(PAGE_SIZE);
  let ro: number | null = null;
  let rw: number | null = null;
  let text = false;
  for (const s of m.sections) {
    const off = Number(((s.addr - m.base) / page) * page);
    if ((s.flags & SHF_WRITE) !== 0n) rw = rw === null ? off : Math.min(rw, off);
    else if ((s.flags & SHF_EXECINSTR) === 0n) ro = ro === null ? off : Math.min(ro, off);
    else text = true;
  }
  const parts: VmPart[] = [{ offset: 0, perm: text ? PERM_R | PERM_X : PERM_R }];
  if (ro !== null && ro > 0 && (rw === null || ro < rw)) parts.push({ offset: ro, perm: PERM_R });
  if (rw !== null) {
    if (rw === 0) parts[0].perm = PERM_R | PERM_W; // no text at all
    else parts.push({ offset: rw, perm: PERM_R | PERM_W });
  }
  return parts;
}
