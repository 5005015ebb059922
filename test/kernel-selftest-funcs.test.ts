// The kernel functions the ftrace selftests name (tools/testing/selftests/ftrace/test.d, see docs/selftests.md), in the bundled kernel on their real paths: traced, matched by the selftests' globs, and called while the workload runs (fork, exec, softirq, scheduler, proc write).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot } from '../src/runner.js';
import { startBootTracing } from '../src/trace/trace_functions.js';
import { EINVAL } from '../src/trace/tracefs/fs.js';
import { withTracefs, readFile } from './helpers/tracefs.js';

const image = readFileSync(fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url)));

/** Functions a selftest writes to set_ftrace_filter by name, or filters its trace on. */
const NAMED = ['schedule', 'do_softirq', 'kernel_clone', 'proc_reg_write', 'mutex_trylock', 'sys_ni_syscall'];

describe('the selftests\' functions in available_filter_functions', () => {
  const m = withTracefs(boot(image, 'vmlinux', { cpus: 1, seed: 1 }));
  const funcs = readFile(m, 'available_filter_functions').split('\n').filter((l) => l !== '');

  it('has each function a selftest names, and do_execve* (func-filter-pid), but not the notrace __schedule', () => {
    for (const f of NAMED) expect(funcs, f).toContain(f);
    expect(funcs.filter((f) => f.startsWith('do_execve')).length).toBeGreaterThanOrEqual(2);
    expect(funcs.some((f) => f.startsWith('__schedule'))).toBe(false);
  });

  it('every glob of func-filter-glob.tc matches something (a glob that matches nothing is -EINVAL: the control)', () => {
    for (const g of ['*schedule', '*schedule*', 'schedule*', '*pin*lock', 'mutex*try*', 'sch*ule', '[Ss]y[Ss]_*', 'sch?dule', 'do_execve*']) {
      expect(m.fs.write('set_ftrace_filter', `${g}\n`), g).toBe(0);
      expect(readFile(m, 'set_ftrace_filter'), g).not.toBe('');
    }
    expect(m.fs.write('set_ftrace_filter', 'nosuch*thing\n')).toBe(-EINVAL);
    expect(m.fs.write('set_ftrace_filter', '')).toBe(0);
  });

  it('func_set_ftrace_file.tc\'s probe removals each find a *lock* function to drop (a removal that finds none is -EINVAL: the control)', () => {
    expect(m.fs.write('set_ftrace_filter', '*lock*:traceoff')).toBe(0);
    for (const g of ['!*try*lock:traceoff\n', '!m*lock:traceoff\n', '!c*unlock*:traceoff\n']) expect(m.fs.write('set_ftrace_filter', g), g).toBe(0);
    expect(m.fs.write('set_ftrace_filter', '!m*lock:traceoff\n')).toBe(-EINVAL); // those are gone now
    expect(m.fs.write('set_ftrace_filter', '!*:traceoff')).toBe(0);
  });
});

describe('called on their paths while the bundled kernel runs (2 CPUs, the whole workload)', () => {
  const b = boot(image, 'vmlinux', { cpus: 2, seed: 1 });
  const filter = ['schedule', 'kernel_clone', 'copy_process', 'kernel_thread', 'user_mode_thread', 'do_execve*', 'proc_reg_write',
    '__do_softirq', 'do_softirq', 'rcu_core_si', 'sys_ni_syscall', 'mutex_lock', 'console_unlock'];
  const tr = startBootTracing(b.kernel, b.ftrace!.core, b.ftrace!.arch, { tracer: 'function', filter, sizeKb: 2048 });
  const o = b.kernel.run(200_000_000);
  const lines = tr.traceText().split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  /** "callee <-caller" pairs seen, with the pids that made them. */
  const calls = new Map<string, Set<number>>();
  for (const l of lines) {
    const m = /-(\d+) +\[\d{3}\] \S+ +\d+\.\d{6}: (\S+) <-(\S+)$/.exec(l);
    if (m === null) continue;
    const k = `${m[2]} <-${m[3]}`;
    calls.set(k, (calls.get(k) ?? new Set()).add(Number(m[1])));
  }
  const seen = (k: string): boolean => calls.has(k);

  it('runs to the end with nothing lost', () => {
    expect(o.reason).toBe('halted');
    expect(lines.length).toBeGreaterThan(1000);
    expect(tr.traceText()).toMatch(/entries-in-buffer\/entries-written: (\d+)\/\1 /);
  });

  it('fork: init forks sh and cat, rest_init and kthreadd make the kernel threads, and the SMP workers\' fork() gets EAGAIN after copy_process', () => {
    expect(seen('kernel_clone <-__x64_sys_fork')).toBe(true);
    expect(seen('copy_process <-kernel_clone')).toBe(true);
    expect(seen('kernel_thread <-rest_init') && seen('kernel_thread <-kthread_create') && seen('user_mode_thread <-rest_init')).toBe(true);
    // the SMP workers (tasks of their own, not the boot task: pid 1 in the trace) fork too: every task slot is taken, copy_process refuses
    expect([...calls.get('kernel_clone <-__x64_sys_fork')!].some((pid) => pid > 1)).toBe(true);
  });

  it('exec: the forked children exec their programs through do_execve and do_execveat_common, under cred_guard_mutex', () => {
    expect([...calls.keys()].filter((k) => /^do_execve(\.\w+\.\d+)? <-__x64_sys_execve$/.test(k))).toHaveLength(1);
    expect([...calls.keys()].some((k) => /^do_execveat_common\S* <-/.test(k))).toBe(true);
    expect(seen('mutex_lock <-bprm_execve')).toBe(true);
  });

  it('softirqs: the tick\'s on the way out of the interrupt; the syscall exit\'s at local_bh_enable, through do_softirq', () => {
    expect(seen('do_softirq <-__local_bh_enable_ip')).toBe(true);
    expect(seen('__do_softirq <-do_softirq')).toBe(true);
    expect(seen('rcu_core_si <-__do_softirq')).toBe(true);
    expect([...calls.keys()].some((k) => k.startsWith('__do_softirq <-') && k !== '__do_softirq <-do_softirq')).toBe(true);
  });

  it('the scheduler, the unimplemented syscalls, the console and the proc write path are all called', () => {
    expect(seen('schedule <-do_sched_yield')).toBe(true);
    expect([...calls.keys()].some((k) => k.startsWith('sys_ni_syscall <-'))).toBe(true);
    expect([...calls.keys()].some((k) => k.startsWith('console_unlock <-'))).toBe(true);
    expect(seen('proc_reg_write <-vfs_write')).toBe(true);
    // the SMP workers write /proc/interrupts too
    expect([...calls.get('proc_reg_write <-vfs_write')!].some((pid) => pid > 1)).toBe(true);
  });
});

describe('fgraph-retval.tc\'s check: echo > /proc/interrupts fails in proc_reg_write with -EIO', () => {
  it('function_graph with funcgraph-retval prints proc_reg_write = -5, and fffffffb with funcgraph-retval-hex', () => {
    const m = withTracefs(boot(image, 'vmlinux', { cpus: 1, seed: 1 }));
    m.run(1_000_000);
    expect(m.fs.write('set_ftrace_filter', 'proc_reg_write')).toBe(0);
    expect(m.fs.write('current_tracer', 'function_graph')).toBe(0);
    expect(m.fs.write('options/funcgraph-retval', '1')).toBe(0);
    m.run(1_500_000);
    expect(m.fs.write('tracing_on', '0')).toBe(0);
    const dec = readFile(m, 'trace').split('\n').filter((l) => l.includes('proc_reg_write'));
    expect(dec.length).toBeGreaterThan(0);
    // (the selftest greps '=-5 ' and 'fffffffb')
    for (const l of dec) expect(l).toMatch(/\| +proc_reg_write\(\); \/\* ret=-5 \*\/$/);
    expect(m.fs.write('options/funcgraph-retval-hex', '1')).toBe(0);
    const hex = readFile(m, 'trace').split('\n').filter((l) => l.includes('proc_reg_write'));
    expect(hex.length).toBe(dec.length);
    for (const l of hex) expect(l).toMatch(/\| +proc_reg_write\(\); \/\* ret=0xfffffffffffffffb \*\/$/);
  });
});
