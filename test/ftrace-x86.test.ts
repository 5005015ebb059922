// The x86 dynamic ftrace backend on the simulated machine: boot conversion (ftrace_init), the ftrace bug report for an altered site, the function tracer from boot, and live enabling/disabling under load with its negative controls.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boot, bootAndRun, type Booted, type RunOptions } from '../src/runner.js';
import { parseElf } from '../src/loader/elf.js';
import { X86_NOP5, checkX86Records } from '../src/arch/x86/ftrace.js';

const KERNEL = fileURLToPath(new URL('../fixtures/vmlinux', import.meta.url));
const CONSOLE = fileURLToPath(new URL('../fixtures/vmlinux.console', import.meta.url));
const image = readFileSync(KERNEL);
const expectedConsole = readFileSync(CONSOLE, 'latin1');
const img = parseElf(image, 'vmlinux');

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('ftrace_init at boot', () => {
  it('turns every __mcount_loc site of the bundled kernel into the 5-byte P6 nop before any CPU runs, and the machine prints the same console', () => {
    let booted: Booted | undefined;
    let atBoot: string[] = [];
    const r = bootAndRun(image, 'vmlinux', {
      cpus: 4,
      onBoot: (b) => {
        booted = b;
        atBoot = img.mcountLoc.map((a) => hexBytes(b.machine.mem.read(a, 5)));
      },
    });
    expect(img.mcountLoc.length).toBeGreaterThan(200);
    const ft = booted!.ftrace!;
    expect(ft.records).toBe(img.mcountLoc.length);
    expect(ft.core.disabled).toBe(false);
    expect(ft.core.updateTotCnt).toBe(img.mcountLoc.length);
    expect(new Set(atBoot)).toEqual(new Set([hexBytes(X86_NOP5)]));
    expect(r.exitReason).toBe('halted');
    expect(r.console).toBe(expectedConsole);
    expect(checkX86Records(ft.core, ft.arch)).toEqual([]);
  });

  it('without ftrace the sites keep their call __fentry__', () => {
    const b = boot(image, 'vmlinux', { ftrace: false });
    expect(b.ftrace).toBeUndefined();
    const fentry = b.symbols.lookup('__fentry__')!;
    for (const a of img.mcountLoc.slice(0, 5)) {
      const bytes = b.machine.mem.read(a, 5);
      expect(bytes[0]).toBe(0xe8);
      expect(a + 5n + BigInt(new DataView(bytes.buffer, bytes.byteOffset).getInt32(1, true))).toBe(fentry);
    }
  });

  it('an image whose site was altered before boot gets the ftrace bug report with -EINVAL, ftrace disabled, and the machine runs on', () => {
    // in the image file itself, one site already holds another 5-byte nop (nopl 0x8(%rax,%rax,1)), not call __fentry__
    const bad = Uint8Array.from(image);
    const site = img.mcountLoc[10];
    const text = img.segments.find((s) => site >= s.vaddr && site < s.vaddr + BigInt(s.filesz))!;
    const off = Number(BigInt(text.offset) + (site - text.vaddr));
    bad.set([0x0f, 0x1f, 0x44, 0x00, 0x08], off);
    let booted: Booted | undefined;
    const r = bootAndRun(bad, 'vmlinux-bad', { cpus: 4, onBoot: (b) => { booted = b; } });
    const ft = booted!.ftrace!;
    expect(ft.core.disabled).toBe(true);
    expect(ft.core.bugReports.length).toBe(1);
    expect(r.console).toContain('------------[ ftrace bug ]------------');
    expect(r.console).toContain('ftrace failed to modify');
    expect(r.console).toMatch(/\[<ffffffff[0-9a-f]+>\] \w+\+0x0\/0x[0-9a-f]+/);
    expect(r.console).toContain(' actual:');
    expect(r.console).toContain(' expected:');
    expect(r.console).toContain(' actual:   0f:1f:44:00:08');
    expect(r.exitReason).toBe('halted');
    expect(r.console).toBe(ft.core.bugReports[0] + expectedConsole);
    // the other sites were still converted
    expect(hexBytes(booted!.machine.mem.read(img.mcountLoc[11], 5))).toBe(hexBytes(X86_NOP5));
  });
});

export type { RunOptions };
