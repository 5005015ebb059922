// Trace event filters: the expression parser with the kernel's error codes and positions, and the match on an event's fields (kernel/trace/trace_events_filter.c).

import { EINVAL } from '../ftrace/arch.js';
import { filterParseRegex, ftraceMatch, type FtraceGlob } from '../ftrace/glob.js';

/** A field a filter can name: its place in the record and how it compares. */
export interface FilterField {
  name: string;
  size: number;
  signed: boolean;
  /** char[N] (or the comm/COMM generic field): compared as a string. */
  isString: boolean;
}

/** An event's field values by name (numbers for integer fields, text for strings). */
export type FieldValues = Readonly<Record<string, number | bigint | string>>;

/** The kernel's filter parse errors (FILT_ERR_*), in order: index = code. */
export const FILTER_ERR_TEXT: readonly string[] = [
  'No error', 'Invalid operator', "Too many '('", "Too few '('", 'Missing matching quote', 'Operand too long',
  'Expecting string field', 'Expecting numeric field', 'Illegal operation for field type', 'Field not found',
  'Illegal integer value', "Couldn't find or set field in one of a subsystem's events", 'Too many terms in predicate expression',
  'Meaningless filter expression', "Only 'ip' field is supported for function trace", 'Invalid value (did you forget quotes)?',
  'Error', 'No filter found',
];
const INVALID_OP = 1;
const TOO_MANY_OPEN = 2;
const TOO_MANY_CLOSE = 3;
const MISSING_QUOTE = 4;
const OPERAND_TOO_LONG = 5;
const EXPECT_STRING = 6;
const EXPECT_DIGIT = 7;
const ILLEGAL_FIELD_OP = 8;
const FIELD_NOT_FOUND = 9;
const ILLEGAL_INTVAL = 10;
export const FILT_ERR_BAD_SUBSYS_FILTER = 11;
const TOO_MANY_PREDS = 12;
const INVALID_VALUE = 15;
/** FILT_ERR_ERRNO: what error_log says for an error without its own text. */
export const FILT_ERR_ERRNO = 16;

const MAX_FILTER_STR_VAL = 256;

type Op = '~' | '!=' | '==' | '<=' | '<' | '>=' | '>' | '&';
/** parse_pred tries the operators in this order ('<=' before '<'). */
const OPS: readonly Op[] = ['~', '!=', '==', '<=', '<', '>=', '>', '&'];

interface Pred {
  kind: 'pred';
  field: FilterField;
  op: Op;
  num: bigint;
  glob: FtraceGlob | null;
  text: string;
  not: boolean;
}
type Node = Pred | { kind: 'not'; a: Node } | { kind: 'and' | 'or'; a: Node; b: Node };

/** A parsed filter: its text (what the filter file shows) and the program. */
export interface EventFilter {
  text: string;
  root: Node;
}

/** A parse failure: the errno the write returns, and the error for the filter file and error_log (code 0: none set). */
export interface FilterError {
  errno: number;
  code: number;
  pos: number;
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /^[ \t\n\v\f\r]$/.test(c);
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** calc_stack: quotes and parentheses first; returns the error, or null. */
function calcStack(str: string): FilterError | null {
  let open = 1;
  let quote = '';
  let lastQuote = 0;
  let preds = 0;
  let isPred = false;
  let i = 0;
  for (; i < str.length; i++) {
    const c = str[i]!;
    if (isSpace(c)) continue;
    if (quote) {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') { quote = c; lastQuote = i; }
    else if ((c === '|' || c === '&') && str[i + 1] === c) { isPred = false; continue; }
    else if (c === '(') { isPred = false; open++; continue; }
    else if (c === ')') {
      isPred = false;
      if (open === 1) return { errno: -1, code: TOO_MANY_CLOSE, pos: i };
      open--;
      continue;
    }
    if (!isPred) { preds++; isPred = true; }
  }
  if (quote) return { errno: -3, code: MISSING_QUOTE, pos: lastQuote };
  if (open !== 1) {
    let level = open;
    for (i--; i > 0; i--) {
      const c = str[i]!;
      if (quote) { if (c === quote) quote = ''; continue; }
      if (c === '(') {
        if (level === open) return { errno: -2, code: TOO_MANY_OPEN, pos: i };
        level--;
      } else if (c === ')') level++;
      else if (c === "'" || c === '"') quote = c;
    }
    return { errno: -2, code: TOO_MANY_OPEN, pos: 0 };
  }
  if (preds === 0) return { errno: -EINVAL, code: 0, pos: 0 };
  return null;
}

/** kstrtoull/kstrtoll with base 0: 0x hex, leading 0 octal, else decimal; null when not a number. */
function parseInt0(s: string, signed: boolean): bigint | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null) return null;
  const v = s.length > 1 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X') ? BigInt(s) : s[0] === '0' ? BigInt('0o' + (s.slice(1) || '0')) : BigInt(s);
  if (signed ? v > (1n << 63n) - 1n : v > (1n << 64n) - 1n) return null;
  return v;
}

/**
 * parse_pred: one predicate at `at` in `str`; `pos` is where the kernel counts from (one past the
 * predicate's first character). Returns the characters taken, or the error.
 */
function parsePred(str: string, at: number, pos: number, fields: (name: string) => FilterField | undefined): { len: number; pred: Pred } | FilterError {
  const ch = (k: number): string | undefined => str[at + k];
  let i = 0;
  while (isSpace(ch(i))) i++;
  let s = i;
  while (isAlnum(ch(i)) || ch(i) === '_') i++;
  if (i === s) return { errno: -1, code: 0, pos: 0 };
  const field = fields(str.slice(at + s, at + i));
  if (field === undefined) return { errno: -EINVAL, code: FIELD_NOT_FOUND, pos: pos + i };
  while (isSpace(ch(i))) i++;
  const op = OPS.find((o) => str.startsWith(o, at + i));
  if (op === undefined) return { errno: -EINVAL, code: INVALID_OP, pos: pos + i };
  i += op.length;
  while (isSpace(ch(i))) i++;
  s = i;
  const pred: Pred = { kind: 'pred', field, op, num: 0n, glob: null, text: '', not: op === '!=' };
  const q = ch(i);
  if (q === "'" || q === '"') {
    if (op !== '!=' && op !== '~' && op !== '==') return { errno: -EINVAL, code: ILLEGAL_FIELD_OP, pos: pos + i };
    if (!field.isString) return { errno: -EINVAL, code: EXPECT_DIGIT, pos: pos + i };
    for (i++; ch(i) !== undefined; i++) if (ch(i) === q) break;
    if (ch(i) === undefined) return { errno: -EINVAL, code: MISSING_QUOTE, pos: pos + i };
    s++;
    if (i - s >= MAX_FILTER_STR_VAL) return { errno: -EINVAL, code: OPERAND_TOO_LONG, pos: pos + i };
    pred.text = str.slice(at + s, at + i);
    if (op === '~') {
      const p = filterParseRegex(pred.text);
      pred.glob = p.isIndex ? { search: p.glob.search, type: 'full' } : p.glob;
      pred.not = p.not;
    }
    i++;
  } else if (isDigit(q)) {
    if (field.isString) return { errno: -EINVAL, code: EXPECT_STRING, pos: pos + i };
    if (op === '~') return { errno: -EINVAL, code: ILLEGAL_FIELD_OP, pos: pos + i };
    while (isAlnum(ch(i))) i++;
    if (i - s >= 24) return { errno: -EINVAL, code: OPERAND_TOO_LONG, pos: pos + i };
    const v = parseInt0(str.slice(at + s, at + i), field.signed);
    if (v === null) return { errno: -EINVAL, code: ILLEGAL_INTVAL, pos: pos + s };
    pred.num = v;
  } else {
    return { errno: -EINVAL, code: INVALID_VALUE, pos: pos + i };
  }
  return { len: i, pred };
}

type Tok = { t: '(' | ')' | '!' | '&&' | '||' } | { t: 'p'; p: Pred };

/** Parse a filter expression over `fields` as the kernel does (calc_stack, then predicate_parse). */
export function parseFilter(str: string, fields: (name: string) => FilterField | undefined): EventFilter | FilterError {
  const e = calcStack(str);
  if (e !== null) return e;
  const toks: Tok[] = [];
  let ptr = 0;
  let depth = 0;
  while (ptr < str.length) {
    const next = ptr++;
    const c = str[next]!;
    if (isSpace(c)) continue;
    if (c === '(') { depth++; toks.push({ t: '(' }); continue; }
    if (c === '!' && str[next + 1] !== '=' && str[next + 1] !== '~') { toks.push({ t: '!' }); continue; }
    const r = parsePred(str, next, ptr, fields);
    if ('errno' in r) return r;
    toks.push({ t: 'p', p: r.pred });
    ptr = next + r.len;
    for (;;) {
      const n = ptr++;
      const d = str[n];
      if (isSpace(d)) continue;
      if ((d === '&' || d === '|') && str[n + 1] === d) {
        ptr++;
        toks.push({ t: d === '&' ? '&&' : '||' });
        break;
      }
      if (d === undefined) break;
      if (d !== ')') return { errno: -1, code: TOO_MANY_PREDS, pos: n };
      if (depth === 0) return { errno: -1, code: TOO_MANY_CLOSE, pos: ptr };
      depth--;
      toks.push({ t: ')' });
    }
  }
  if (depth !== 0) return { errno: -1, code: TOO_MANY_OPEN, pos: ptr };
  return { text: str, root: build(toks) };
}

/** The checked tokens as a tree: `!` binds to the next term, `&&` before `||`; a dangling operator is dropped, as the kernel's program ignores it. */
function build(toks: Tok[]): Node {
  let k = 0;
  const or = (): Node | null => {
    let a = and();
    while (k < toks.length && toks[k]!.t === '||') {
      k++;
      const b = and();
      if (a === null) a = b;
      else if (b !== null) a = { kind: 'or', a, b };
    }
    return a;
  };
  const and = (): Node | null => {
    let a = unary();
    while (k < toks.length && toks[k]!.t === '&&') {
      k++;
      const b = unary();
      if (a === null) a = b;
      else if (b !== null) a = { kind: 'and', a, b };
    }
    return a;
  };
  const unary = (): Node | null => {
    const t = toks[k];
    if (t === undefined) return null;
    if (t.t === '!') { k++; const a = unary(); return a === null ? null : { kind: 'not', a }; }
    if (t.t === '(') {
      k++;
      const a = or();
      if (toks[k]?.t === ')') k++;
      return a;
    }
    if (t.t === 'p') { k++; return t.p; }
    return null;
  };
  const root = or();
  if (root === null) throw new Error('filter: a checked expression has no predicate');
  return root;
}

function asBig(v: number | bigint | string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return 0n;
}

function matchPred(p: Pred, values: FieldValues): boolean {
  const raw = values[p.field.name];
  if (p.field.isString) {
    const s = typeof raw === 'string' ? raw.slice(0, Math.max(0, p.field.size - 1)) : '';
    const m = p.glob !== null ? ftraceMatch(s, p.glob) : s === p.text.slice(0, Math.max(0, p.field.size - 1));
    return m !== p.not;
  }
  const bits = BigInt(p.field.size * 8);
  const cast = (v: bigint): bigint => (p.field.signed ? BigInt.asIntN(Number(bits), v) : BigInt.asUintN(Number(bits), v));
  const a = cast(asBig(raw ?? 0));
  const b = cast(p.num);
  switch (p.op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '&': return (BigInt.asUintN(Number(bits), a) & BigInt.asUintN(Number(bits), b)) !== 0n;
    default: return false;
  }
}

function evalNode(n: Node, v: FieldValues): boolean {
  switch (n.kind) {
    case 'pred': return matchPred(n, v);
    case 'not': return !evalNode(n.a, v);
    case 'and': return evalNode(n.a, v) && evalNode(n.b, v);
    case 'or': return evalNode(n.a, v) || evalNode(n.b, v);
  }
}

/** filter_match_preds: does the event pass? */
export function filterMatch(f: EventFilter, values: FieldValues): boolean {
  return evalNode(f.root, values);
}

/**
 * The filter file's text after a failed write (append_filter_err): the expression, a caret under
 * the fault, and the error; or "Error: (N)" for an error without a position.
 */
export function filterErrorText(str: string, e: FilterError): string {
  let pos = Math.min(e.pos, str.length);
  if (pos) pos++;
  if (e.code > 0) return `${str}\n${'^'.padStart(pos)}\nparse_error: ${FILTER_ERR_TEXT[e.code]}\n`;
  return `${str}\nError: (${e.code})\n`;
}
