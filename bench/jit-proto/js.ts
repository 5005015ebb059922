// JIT prototype, JS backend: a unit becomes JS source (registers as lo/hi locals, lazy flags as locals), compiled with new Function.

import { Op, NO_REG, type Insn } from '../../src/machine/x86/insn.js';
import { Lazy, PARITY } from '../../src/machine/x86/flags.js';
import type { Cpu } from '../../src/machine/x86/cpu.js';
import type { Region } from '../../src/machine/memory.js';
import { shiftCount, type Unit } from './unit.js';

/** A compiled unit: runs from the unit's start with at most about `budget` instructions, returns the instructions retired. */
export type UnitFn = (c: Cpu, budget: number) => number;

const MASK = [0, 0xff, 0xffff, 0, 0xffffffff, 0, 0, 0, 0xffffffff];
const SIGN = [0, 0x80, 0x8000, 0, 0x80000000, 0, 0, 0, 0x80000000];

export function lazyKind(op: Op): Lazy {
  return op === Op.ADD ? Lazy.ADD : op === Op.SUB || op === Op.CMP ? Lazy.SUB : Lazy.LOGIC;
}

/** Options that break the backend on purpose (the validator's negative control). */
export interface JsOptions {
  breakAdd?: boolean;
  /** Access this (non-executable) region inline through its DataView, with a bounds check; other addresses go through Cpu.rd/wr. */
  resident?: Region;
}

/** Generate the function body (exported for inspection). */
export function jsSource(u: Unit, opt: JsOptions = {}): string {
  const used = new Set<number>();
  for (const { d } of u.insns) for (const r of [d.reg, d.rm, d.base, d.index]) if (r >= 0 && r < 16) used.add(r);
  const L: string[] = [];
  const rdReg = (r: number, s: number): [string, string] =>
    s === 8 ? [`l${r}`, `h${r}`] : s === 4 ? [`l${r}`, '0'] : [`(l${r} & ${MASK[s]})`, '0'];
  const wrReg = (r: number, s: number, lo: string, hi: string): string =>
    s === 8 ? `l${r} = ${lo}; h${r} = ${hi};` : s === 4 ? `l${r} = ${lo}; h${r} = 0;`
      : `l${r} = ((l${r} & ${(~MASK[s]) >>> 0}) | (${lo} & ${MASK[s]})) >>> 0;`;
  const ea = (d: Insn): string => {
    let lo = `${d.dispLo}`, hi = `${d.dispHi}`;
    if (d.base >= 0) { lo += ` + l${d.base}`; hi += ` + h${d.base}`; }
    if (d.index >= 0) { lo += ` + l${d.index} * ${d.scale}`; hi += ` + Math.imul(h${d.index}, ${d.scale})`; }
    return `t = ${lo}; t2 = ${hi}; if (t >= 4294967296) { const k = Math.floor(t / 4294967296); t -= k * 4294967296; t2 += k; }`;
  };
  const eaNum = (d: Insn): string => `${ea(d)} ea = (t2 | 0) * 4294967296 + t;`;
  /** Load the r/m operand of size s into vl/vh. */
  const res = opt.resident;
  const inRes = (s: number): string => `off = ea - ${res!.start}; if (off >= 0 && off <= ${res!.size - s})`;
  const load = (s: number): string => {
    const slow = `vl = c.rd(ea, ${s}); vh = ${s === 8 ? 'c.tHi' : '0'};`;
    if (res === undefined) return slow;
    const fast = s === 8 ? 'vl = DV.getUint32(off, true); vh = DV.getInt32(off + 4, true);'
      : s === 4 ? 'vl = DV.getUint32(off, true); vh = 0;' : s === 2 ? 'vl = DV.getUint16(off, true); vh = 0;' : 'vl = BY[off]; vh = 0;';
    return `${inRes(s)} { ${fast} } else { ${slow} }`;
  };
  /** Store vl/vh-style expressions at ea. */
  const store = (s: number, lo: string, hi: string): string => {
    const slow = `c.wr(ea, ${s}, ${lo}, ${hi});`;
    if (res === undefined) return slow;
    const fast = s === 8 ? `DV.setUint32(off, ${lo}, true); DV.setInt32(off + 4, ${hi}, true);`
      : s === 4 ? `DV.setUint32(off, ${lo}, true);` : s === 2 ? `DV.setUint16(off, ${lo}, true);` : `BY[off] = ${lo};`;
    return `${inRes(s)} { ${fast} } else { ${slow} }`;
  };
  const rdRm = (d: Insn, s: number): string => d.rm !== NO_REG
    ? `vl = ${rdReg(d.rm, s)[0]}; vh = ${rdReg(d.rm, s)[1]};`
    : `${eaNum(d)} ${load(s)}`;
  const cond = (p: Insn, cc: number): string => {
    const k = lazyKind(p.op), s = p.size, s8 = s === 8;
    const ltu = (x: string, y: string): string => s8 ? `((f${x}h >>> 0) < (f${y}h >>> 0) || (f${x}h === f${y}h && f${x}l < f${y}l))` : `(f${x}l < f${y}l)`;
    const ZF = s8 ? '(frl === 0 && frh === 0)' : '(frl === 0)';
    const SF = s8 ? '(frh < 0)' : `((frl & ${SIGN[s]}) !== 0)`;
    const CF = k === Lazy.ADD ? ltu('r', 'a') : k === Lazy.SUB ? ltu('a', 'b') : 'false';
    const ofx = (x: string): string => s8 ? `((${x}) < 0)` : `(((${x}) & ${SIGN[s]}) !== 0)`;
    const OF = k === Lazy.ADD ? ofx(s8 ? '(fah ^ frh) & (fbh ^ frh)' : '(fal ^ frl) & (fbl ^ frl)')
      : k === Lazy.SUB ? ofx(s8 ? '(fah ^ fbh) & (fah ^ frh)' : '(fal ^ fbl) & (fal ^ frl)') : 'false';
    const sh = 32 - s * 8;
    const LT = k === Lazy.SUB
      ? (s8 ? '(fah < fbh || (fah === fbh && fal < fbl))' : s === 4 ? '((fal | 0) < (fbl | 0))' : `(((fal << ${sh}) >> ${sh}) < ((fbl << ${sh}) >> ${sh}))`)
      : `(${SF} !== ${OF})`;
    const base = [OF, CF, ZF, `(${CF} || ${ZF})`, SF, '(PARITY[frl & 0xff] !== 0)', LT, `(${ZF} || ${LT})`][cc >> 1];
    return cc & 1 ? `!${base}` : base;
  };
  // exits: leave through the epilogue with rip and the instruction count
  const leave = (rip: number, k: number): string => `{ n += ${k}; rip = ${rip}; break out; }`;
  let seg = 0;
  L.push('out: for (;;) { switch (pc) {');
  u.insns.forEach((ui, i) => {
    const d = ui.d, s = d.size;
    if (u.labels.has(i)) {
      if (i > 0) L.push(`n += ${i - seg};`);
      L.push(`case ${i}:`);
      seg = i;
    }
    const k = i + 1 - seg;
    switch (ui.kind) {
      case 'nop': break;
      case 'mov':
        if (d.rmIsDst) {
          const [vl, vh] = d.reg !== NO_REG ? rdReg(d.reg, s) : [`${d.immLo}`, `${d.immHi}`];
          if (d.rm !== NO_REG) L.push(wrReg(d.rm, s, vl, vh));
          else L.push(`${eaNum(d)} ${store(s, vl, vh)}`);
        } else {
          L.push(rdRm(d, s), wrReg(d.reg, s, 'vl', 'vh'));
        }
        break;
      case 'lea': L.push(ea(d), wrReg(d.reg, s, 't', '(t2 | 0)')); break;
      case 'movzx': L.push(rdRm(d, d.srcSize), wrReg(d.reg, s, 'vl', '0')); break;
      case 'shift': {
        const r = d.rm, n = shiftCount(d), op = d.ext;
        if (s === 4) {
          L.push(op === 5 ? `l${r} = l${r} >>> ${n}; h${r} = 0;` : op === 7 ? `l${r} = ((l${r} | 0) >> ${n}) >>> 0; h${r} = 0;` : `l${r} = (l${r} << ${n}) >>> 0; h${r} = 0;`);
        } else if (op === 4 || op === 6) {
          L.push(n < 32 ? `h${r} = (h${r} << ${n}) | (l${r} >>> ${32 - n}); l${r} = (l${r} << ${n}) >>> 0;` : `h${r} = l${r} << ${n - 32}; l${r} = 0;`);
        } else {
          const sr = op === 5 ? '>>>' : '>>';
          L.push(n < 32 ? `l${r} = ((l${r} >>> ${n}) | (h${r} << ${32 - n})) >>> 0; h${r} = (h${r} ${sr} ${n}) | 0;`
            : `l${r} = (h${r} ${sr} ${n - 32}) >>> 0; h${r} = ${op === 5 ? '0' : `h${r} >> 31`};`);
        }
        break;
      }
      case 'alu': {
        const op = d.op, s8 = s === 8;
        let dst: 'rm' | 'reg';
        if (d.rmIsDst || op === Op.TEST) {
          dst = 'rm';
          L.push(rdRm(d, s), 'al = vl; ah = vh;');
          if (d.reg !== NO_REG) { const [x, y] = rdReg(d.reg, s); L.push(`bl = ${x}; bh = ${y};`); }
          else L.push(s8 ? `bl = ${d.immLo}; bh = ${d.immHi};` : `bl = ${(d.immLo & MASK[s]) >>> 0}; bh = 0;`);
        } else {
          dst = 'reg';
          const [x, y] = rdReg(d.reg, s);
          L.push(`al = ${x}; ah = ${y};`, rdRm(d, s), 'bl = vl; bh = vh;');
        }
        const kind = lazyKind(op);
        const add = opt.breakAdd ? '-' : '+';
        if (kind === Lazy.ADD) L.push(s8 ? `rl = al ${add} bl; rh = (ah + bh + (rl >= 4294967296 ? 1 : 0)) | 0; rl = rl >>> 0;` : `rl = (al ${add} bl) ${s === 4 ? '>>> 0' : `& ${MASK[s]}`}; rh = 0;`);
        else if (kind === Lazy.SUB) L.push(s8 ? 'rl = al - bl; rh = (ah - bh - (rl < 0 ? 1 : 0)) | 0; rl = rl >>> 0;' : `rl = (al - bl) ${s === 4 ? '>>> 0' : `& ${MASK[s]}`}; rh = 0;`);
        else {
          const o = op === Op.OR ? '|' : op === Op.XOR ? '^' : '&';
          L.push(`rl = (al ${o} bl) >>> 0; rh = ${s8 ? `ah ${o} bh` : '0'};`);
        }
        L.push(`fk = ${kind}; fs = ${s}; fal = al; fah = ah; fbl = bl; fbh = bh; frl = rl; frh = rh;`);
        if (op !== Op.CMP && op !== Op.TEST) {
          if (dst === 'reg') L.push(wrReg(d.reg, s, 'rl', 'rh'));
          else if (d.rm !== NO_REG) L.push(wrReg(d.rm, s, 'rl', 'rh'));
          else L.push(store(s, 'rl', 'rh'));
        }
        break;
      }
      case 'jcc': case 'jmp': {
        const c = ui.kind === 'jcc' ? cond(u.insns[ui.producer].d, d.cond) : 'true';
        if (ui.target < 0) L.push(`if (${c}) ${leave(d.target, k)}`);
        else {
          const back = ui.target <= i ? `if (n >= budget) { rip = ${d.target}; break out; } ` : '';
          L.push(`if (${c}) { n += ${k}; ${back}pc = ${ui.target}; continue out; }`);
        }
        break;
      }
    }
  });
  L.push(`n += ${u.insns.length - seg}; rip = ${u.exitRip}; break out;`, '} }');
  const regs = [...used].sort((a, b) => a - b);
  const pro = [
    'const lo = c.lo, hi = c.hi;',
    ...regs.map((r) => `let l${r} = lo[${r}], h${r} = hi[${r}];`),
    'let n = 0, pc = 0, rip = 0, t = 0, t2 = 0, ea = 0, off = 0, vl = 0, vh = 0, al = 0, ah = 0, bl = 0, bh = 0, rl = 0, rh = 0;',
    'let fk = -1, fs = 0, fal = 0, fah = 0, fbl = 0, fbh = 0, frl = 0, frh = 0;',
  ];
  const epi = [
    ...regs.map((r) => `lo[${r}] = l${r}; hi[${r}] = h${r};`),
    'if (fk >= 0) { const li = c.li; li[0] = fk; li[1] = fs; li[2] = frl; li[3] = frh; li[4] = fal; li[5] = fah; li[6] = fbl; li[7] = fbh; }', // the lazy-flag words (arena.ts: L)
    'c.rip = rip; return n;',
  ];
  return [...pro, ...L, ...epi].join('\n');
}

/** Each compilation's source is made unique, so that V8's compilation cache cannot hand back earlier work (figures are from scratch). */
let generation = 0;

/** Compile a unit to a JS function (the code is parsed lazily by V8, compiled on first call). */
export function compileJs(u: Unit, opt: JsOptions = {}): UnitFn {
  const r = opt.resident;
  if (r !== undefined && r.icache !== null) throw new Error('jit-proto: a resident region must not be executable (stores would skip the decoded-cache invalidation)');
  const f = new Function('PARITY', 'DV', 'BY', `/* ${generation++} */ return function unit_${(u.start >>> 0).toString(16)}(c, budget) {\n${jsSource(u, opt)}\n};`);
  return f(PARITY, r?.dv, r?.bytes) as UnitFn;
}
