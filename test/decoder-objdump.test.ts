// Differential test of the x86 decoder and AT&T formatter against GNU objdump -d on gcc-built kernel-style code.

import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decode } from '../src/machine/x86/decode.js';
import { formatBytes, formatInsn, isInvalid, type SymbolLookup } from '../src/machine/x86/format.js';
import { addrToNum } from '../src/machine/memory.js';
import { corpusFiles } from './helpers/gcc.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The kernel's tracing flags (DESIGN.md) plus what keeps gcc to the integer subset. */
const CFLAGS = [
  '-pg', '-mfentry', '-mrecord-mcount', '-mcmodel=kernel', '-fno-pic', '-ffreestanding', '-nostdlib',
  '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-mno-red-zone', '-mgeneral-regs-only',
  '-fcf-protection=none', '-w',
];
const LDFLAGS = ['-static', '-no-pie', '-Wl,-Ttext=0xffffffff81000000', '-Wl,--build-id=none', '-Wl,-e,_start'];
const LEVELS = ['-O2', '-O1', '-Os', '-O3'] as const;

/** Entry glue linked with each test/corpus file: __fentry__, _start and the mem* functions gcc may call. */
const GLUE = `/* glue for the decoder corpus */
typedef unsigned long size_t;
__asm__(".pushsection .text\\n.globl __fentry__\\n.type __fentry__, @function\\n__fentry__:\\n\\tret\\n.size __fentry__, .-__fentry__\\n.popsection\\n");
void *memcpy(void *d, const void *s, size_t n) { char *a = d; const char *b = s; while (n--) *a++ = *b++; return d; }
void *memset(void *d, int c, size_t n) { char *a = d; while (n--) *a++ = (char)c; return d; }
void *memmove(void *d, const void *s, size_t n) { char *a = d; const char *b = s; if (a < b) while (n--) *a++ = *b++; else while (n--) a[n] = b[n]; return d; }
int memcmp(const void *x, const void *y, size_t n) { const unsigned char *a = x, *b = y; for (; n; n--, a++, b++) if (*a != *b) return *a - *b; return 0; }
void _start(void) __attribute__((noreturn));
void _start(void) { for (;;) __asm__ volatile("cli; hlt"); }
`;

function haveTool(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const HAVE_GCC = haveTool('gcc', ['--version']);
const HAVE_OBJDUMP = haveTool('objdump', ['--version']);
const TOOLS = HAVE_GCC && HAVE_OBJDUMP;
const SKIP_REASON = !HAVE_GCC ? 'gcc not installed' : !HAVE_OBJDUMP ? 'objdump (binutils) not installed' : '';
const TOOL_VERSIONS = TOOLS
  ? execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0] + '\n' +
    execFileSync('objdump', ['--version'], { encoding: 'utf8' }).split('\n')[0]
  : '';

// ---- a minimal ELF64 reader: sections and symbols ----

interface Section { name: string; type: number; flags: bigint; addr: bigint; offset: number; size: number; index: number }
interface ElfSym { name: string; value: bigint; size: bigint; type: number; bind: number; section: string }
interface Elf { sections: Section[]; symbols: ElfSym[]; data: Buffer }

const SHF_EXECINSTR = 4n;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;

function readElf(path: string): Elf {
  const data = readFileSync(path);
  if (data.readUInt32BE(0) !== 0x7f454c46 || data[4] !== 2 || data[5] !== 1) throw new Error(`${path}: not an ELF64 little-endian file`);
  const shoff = Number(data.readBigUInt64LE(0x28));
  const shentsize = data.readUInt16LE(0x3a);
  const shnum = data.readUInt16LE(0x3c);
  const shstrndx = data.readUInt16LE(0x3e);
  const raw: { nameOff: number; type: number; flags: bigint; addr: bigint; offset: number; size: number; link: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: data.readUInt32LE(o), type: data.readUInt32LE(o + 4), flags: data.readBigUInt64LE(o + 8),
      addr: data.readBigUInt64LE(o + 16), offset: Number(data.readBigUInt64LE(o + 24)), size: Number(data.readBigUInt64LE(o + 32)),
      link: data.readUInt32LE(o + 40),
    });
  }
  const cstr = (off: number): string => data.toString('latin1', off, data.indexOf(0, off));
  const shstr = raw[shstrndx];
  const sections: Section[] = raw.map((s, index) => ({
    name: cstr(shstr.offset + s.nameOff), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, index,
  }));
  const symbols: ElfSym[] = [];
  raw.forEach((s) => {
    if (s.type !== SHT_SYMTAB) return;
    const strtab = raw[s.link];
    for (let o = s.offset + 24; o + 24 <= s.offset + s.size; o += 24) {
      const info = data[o + 4];
      const shndx = data.readUInt16LE(o + 6);
      symbols.push({
        name: cstr(strtab.offset + data.readUInt32LE(o)), value: data.readBigUInt64LE(o + 8), size: data.readBigUInt64LE(o + 16),
        type: info & 15, bind: info >> 4,
        section: shndx === 0 ? '*UND*' : shndx === 0xfff1 ? '*ABS*' : shndx === 0xfff2 ? '*COM*' : sections[shndx]?.name ?? '?',
      });
    }
  });
  return { sections, symbols, data };
}

/**
 * Names addresses the way objdump does for a linked image while it disassembles `section`: the symbols it keeps
 * (not file, section, undefined or common ones), sorted by its rules, and the first of the nearest lower group.
 */
function objdumpSymbols(elf: Elf, section: string): SymbolLookup | undefined {
  const keep = elf.symbols.filter((s) => s.name !== '' && s.type !== 3 && s.type !== 4 && s.section !== '*UND*' && s.section !== '*COM*');
  if (keep.length === 0) return undefined;
  const rank = (s: ElfSym): number[] => {
    const n = s.name;
    return [
      s.section === section ? 0 : 1,
      n.includes('gnu_compiled') || n.includes('gcc2_compiled') ? 1 : 0,
      n.length > 2 && n[n.length - 2] === '.' && (n.endsWith('o') || n.endsWith('a')) ? 1 : 0,
      s.type === 2 || s.type === 10 ? 0 : 1,
      s.type === 1 ? 0 : 1,
      s.bind === 0 ? 1 : 0,
      s.bind === 1 ? 0 : 1,
    ];
  };
  keep.sort((a, b) => {
    if (a.value !== b.value) return a.value < b.value ? -1 : 1;
    const ra = rank(a), rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    if (a.size !== b.size) return a.size > b.size ? -1 : 1;
    if ((a.name[0] === '.') !== (b.name[0] === '.')) return a.name[0] === '.' ? 1 : -1;
    return Buffer.compare(Buffer.from(a.name, 'latin1'), Buffer.from(b.name, 'latin1'));
  });
  return (vma: bigint): string => {
    let lo = 0, hi = keep.length - 1, at = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (keep[mid].value <= vma) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    while (at > 0 && keep[at - 1].value === keep[at].value) at--;
    let pick = keep[at];
    for (let i = at; i < keep.length && keep[i].value === keep[at].value; i++) {
      if (keep[i].section === section) { pick = keep[i]; break; }
    }
    if (pick.value === vma) return pick.name;
    return pick.value > vma ? `${pick.name}-0x${(pick.value - vma).toString(16)}` : `${pick.name}+0x${(vma - pick.value).toString(16)}`;
  };
}

// ---- comparison ----

interface Mismatch { where: string; bytes: string; objdump: string; ours: string; kind: string }
interface Result { insns: number; agreedBad: number; mismatches: Mismatch[]; gaps: Map<string, Mismatch[]>; mnemonics: Set<string> }

const norm = (s: string): string => s.replace(/[ \t]+/g, ' ').trim();
const LINE = /^\s*([0-9a-f]+):\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*(?:\t(.*))?$/;

function newResult(): Result {
  return { insns: 0, agreedBad: 0, mismatches: [], gaps: new Map(), mnemonics: new Set() };
}

/** Compare every instruction line objdump prints for `file` with decode()+formatInsn() at the same address. */
async function compareFile(file: string, label: string, res: Result): Promise<void> {
  const elf = readElf(file);
  const { stdout } = await run('objdump', ['-d', '-w', file], { maxBuffer: 1 << 28 });
  let sec: Section | undefined;
  let sym: SymbolLookup | undefined;
  const walked = new Set<string>();
  for (const line of stdout.split('\n')) {
    const hdr = /^Disassembly of section (.*):$/.exec(line);
    if (hdr) {
      walked.add(hdr[1]);
      sec = elf.sections.find((s) => s.name === hdr[1]);
      sym = objdumpSymbols(elf, hdr[1]);
      continue;
    }
    const m = LINE.exec(line);
    if (!m || !sec) continue;
    const addr = BigInt('0x' + m[1]);
    const odBytes = m[2].split(' ').length;
    const odText = norm(m[3] ?? '');
    const off = Number(addr - sec.addr);
    const buf = sec.type === SHT_NOBITS ? new Uint8Array(sec.size) : elf.data.subarray(sec.offset, sec.offset + sec.size);
    const d = decode(buf, off, sec.size - off, addrToNum(addr));
    const ours = norm(formatInsn(d, sym));
    res.insns++;
    const mk = (kind: string): Mismatch => ({
      where: `${label} ${addr.toString(16)}`, bytes: formatBytes(d) || m[2], objdump: odText, ours: `${ours}${d.error ? ` (${d.error})` : ''} [len ${d.len}]`, kind,
    });
    if (odText.includes('(bad)')) {
      if (isInvalid(d)) res.agreedBad++;
      else res.mismatches.push(mk('objdump says (bad), the decoder accepts'));
      continue;
    }
    for (const w of odText.split(' ')) {
      res.mnemonics.add(w);
      if (!/^(lock|rep|repz|repnz|data16|cs|ds|es|ss|fs|gs|rex.*|notrack|bnd)$/.test(w)) break;
    }
    if (isInvalid(d)) {
      const key = odText.split(' ')[0];
      const list = res.gaps.get(key) ?? [];
      list.push(mk('decoder marks INVALID'));
      res.gaps.set(key, list);
      continue;
    }
    if (d.len !== odBytes) res.mismatches.push(mk(`length ${d.len}, objdump ${odBytes}`));
    else if (ours !== odText) res.mismatches.push(mk('text'));
  }
  // every executable section was walked
  for (const s of elf.sections) {
    if ((s.flags & SHF_EXECINSTR) !== 0n && s.size > 0 && s.type !== SHT_NOBITS && !walked.has(s.name)) {
      res.mismatches.push({ where: `${label} ${s.name}`, bytes: '', objdump: 'section not disassembled', ours: '', kind: 'executable section objdump skipped' });
    }
  }
}

function report(res: Result): string {
  const out: string[] = [];
  if (res.gaps.size > 0) {
    out.push(`decoder gaps (instructions objdump decodes that decode() marks INVALID), by mnemonic:`);
    for (const [k, list] of res.gaps) {
      out.push(`  ${k}: ${list.length}x, e.g. ${list[0].where}: ${list[0].bytes} | objdump: ${list[0].objdump} | ours: ${list[0].ours}`);
    }
  }
  if (res.mismatches.length > 0) {
    const kinds = new Map<string, number>();
    for (const m of res.mismatches) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
    out.push(`${res.mismatches.length} mismatches (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}); first 20:`);
    for (const m of res.mismatches.slice(0, 20)) out.push(`  ${m.where}: ${m.bytes}\n      objdump: ${m.objdump}\n      ours:    ${m.ours}`);
  }
  return out.join('\n');
}

// ---- building the corpus (cached in the OS temp dir by a hash of sources, flags and tool versions) ----

const CACHE = join(tmpdir(), 'ftsim-decoder-objdump-cache');

interface Build { label: string; srcs: string[]; includeDirs: string[]; level: string }

function corpusBuilds(level: string): Build[] {
  const builds: Build[] = [];
  // the execution tests' programs (test/c), each a standalone guest with its own _start
  for (const src of existsSync(join(ROOT, 'test', 'c')) ? corpusFiles() : []) {
    builds.push({ label: `test/c/${basename(src)} ${level}`, srcs: [src], includeDirs: [dirname(src)], level });
  }
  const mine = join(ROOT, 'test', 'corpus');
  for (const f of readdirSync(mine).filter((n) => n.endsWith('.c')).sort()) {
    builds.push({ label: `test/corpus/${f} ${level}`, srcs: [join(mine, f), join(CACHE, 'glue.c')], includeDirs: [], level });
  }
  return builds;
}

function headersOf(dirs: string[]): string {
  let s = '';
  for (const d of dirs) for (const f of readdirSync(d).filter((n) => n.endsWith('.h')).sort()) s += f + readFileSync(join(d, f), 'utf8');
  return s;
}

/** Build one image (or reuse the cached one); returns its path, or an Error when gcc refuses the source. */
async function buildImage(b: Build): Promise<string | Error> {
  const h = createHash('sha256');
  h.update(TOOL_VERSIONS).update(b.level).update(CFLAGS.join(' ')).update(LDFLAGS.join(' ')).update(GLUE);
  for (const s of b.srcs) h.update(s.endsWith('glue.c') ? 'glue' : readFileSync(s));
  h.update(headersOf(b.includeDirs));
  const key = h.digest('hex').slice(0, 24);
  const out = join(CACHE, `${basename(b.srcs[0], '.c')}${b.level}-${key}.elf`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await run('gcc', [b.level, ...CFLAGS, ...b.includeDirs.map((d) => `-I${d}`), ...LDFLAGS, '-o', tmp, ...b.srcs], { maxBuffer: 1 << 24 });
    renameSync(tmp, out);
    return out;
  } catch (e) {
    rmSync(tmp, { force: true });
    const msg = e instanceof Error && 'stderr' in e ? String((e as { stderr: unknown }).stderr) : String(e);
    return new Error(`${b.label}: gcc failed:\n${msg.split('\n').slice(0, 8).join('\n')}`);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  return out;
}

const used = new Set<string>();

/** Drop cached images no run has asked for in a week (sources changed since). */
function pruneCache(): void {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const f of readdirSync(CACHE)) {
    const p = join(CACHE, f);
    if (used.has(p)) continue;
    try {
      if (f.endsWith('.tmp') || statSync(p).atimeMs < weekAgo) rmSync(p, { force: true });
    } catch {
      // another run removed it
    }
  }
}

async function checkLevel(level: string): Promise<{ res: Result; built: number; failed: string[] }> {
  mkdirSync(CACHE, { recursive: true });
  const glue = join(CACHE, 'glue.c');
  if (!existsSync(glue) || readFileSync(glue, 'utf8') !== GLUE) writeFileSync(glue, GLUE);
  const builds = corpusBuilds(level);
  const images = await mapLimit(builds, availableParallelism(), buildImage);
  const res = newResult();
  const failed: string[] = [];
  const ok: { path: string; label: string }[] = [];
  images.forEach((p, i) => {
    if (p instanceof Error) {
      // test/corpus is ours and must build; test/c belongs to the execution tests and may be mid-edit
      if (builds[i].label.startsWith('test/corpus/')) throw p;
      failed.push(p.message);
    } else {
      used.add(p);
      ok.push({ path: p, label: builds[i].label });
    }
  });
  await mapLimit(ok, availableParallelism(), (o) => compareFile(o.path, o.label, res));
  pruneCache();
  return { res, built: ok.length, failed };
}

const totals = newResult();
function accumulate(r: Result): void {
  totals.insns += r.insns;
  for (const m of r.mnemonics) totals.mnemonics.add(m);
}

describe.skipIf(!TOOLS)(`decoder and formatter match objdump -d${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ''}`, () => {
  const vmlinux = join(ROOT, 'fixtures', 'vmlinux');

  it.skipIf(!existsSync(vmlinux))('on every instruction of the bundled image fixtures/vmlinux', async () => {
    const res = newResult();
    await compareFile(vmlinux, 'fixtures/vmlinux', res);
    accumulate(res);
    console.info(`decoder-objdump fixtures/vmlinux: ${res.insns} instructions compared (${res.agreedBad} agreed (bad))`);
    expect(res.insns).toBeGreaterThan(100);
    expect(report(res)).toBe('');
  }, 60_000);

  for (const level of LEVELS) {
    it(`on every instruction of the C corpus built with ${level} and the kernel's flags`, async () => {
      const { res, built, failed } = await checkLevel(level);
      if (failed.length > 0) console.warn(`decoder-objdump: skipped test/c files gcc refused:\n${failed.join('\n')}`);
      accumulate(res);
      console.info(`decoder-objdump ${level}: ${built} images, ${res.insns} instructions compared (${res.agreedBad} agreed (bad))`);
      expect(built).toBeGreaterThan(0);
      expect(report(res)).toBe('');
    }, 120_000);
  }

  it('the corpus exercises the instructions it was written for', () => {
    if (totals.insns === 0) return; // the corpus cases did not run (filtered)
    const want = ['lock', 'cmpxchg', 'xadd', 'xchg', 'bswap', 'cpuid', 'rdtsc', 'pushf', 'popf', 'bt', 'bts', 'btr', 'btc', 'shld', 'shrd',
      'lahf', 'sahf', 'cbtw', 'cwtl', 'cltq', 'cqto', 'cltd', 'movsb', 'movsq', 'stos', 'scas', 'cmpsb', 'lods', 'in', 'out', 'hlt',
      'cli', 'sti', 'pause', 'mfence', 'lfence', 'sfence', 'vmcall', 'ud2', 'int3', 'movabs', 'movzbl', 'movslq', 'movsbw', 'imul',
      'mul', 'div', 'idiv', 'sete', 'cmovne', 'nopl', 'nopw', 'xchg', 'leave', 'ret', 'iretq', 'bsf', 'bsr', 'tzcnt', 'sar', 'shr',
      'shl', 'rol', 'ror', 'rcl', 'rcr', 'adc', 'sbb', 'neg', 'not', 'test', 'serialize', 'prefetcht0', 'prefetchnta'];
    const seen = new Set([...totals.mnemonics].map((m) => m.replace(/[bwlq]$/, '')));
    const missing = want.filter((w) => !totals.mnemonics.has(w) && !seen.has(w) && !seen.has(w.replace(/[bwlq]$/, '')));
    expect(missing).toEqual([]);
  });
});
