// Function-name patterns as the ftrace filter files accept them: filter_parse_regex (kernel/trace/trace_events_filter.c), ftrace_match (kernel/trace/ftrace.c) and glob_match (lib/glob.c).

/** How a pattern matches, as the kernel's enum regex_type (MATCH_INDEX is handled by the caller). */
export type MatchType = 'full' | 'front' | 'middle' | 'end' | 'glob';

export interface FtraceGlob {
  /** The text compared: the pattern without its leading '!', and without the '*' the type already says. */
  search: string;
  type: MatchType;
}

export interface ParsedFilter {
  glob: FtraceGlob;
  /** A leading '!': remove the matches from the hash instead of adding them. */
  not: boolean;
  /** The pattern starts with a digit: it names a function by its 1-based index in available_filter_functions. */
  isIndex: boolean;
}

/**
 * Classify a pattern as filter_parse_regex does: `foo` full, `foo*` front, `*foo` end, `*foo*` middle;
 * a '*' anywhere else, or any of `?`, `[`, `\`, makes it a full glob (matched by globMatch).
 */
export function filterParseRegex(pattern: string): ParsedFilter {
  let buff = pattern;
  let not = false;
  if (buff.startsWith('!')) {
    not = true;
    buff = buff.slice(1);
  }
  if (buff.length > 0 && buff[0]! >= '0' && buff[0]! <= '9') {
    return { glob: { search: buff, type: 'full' }, not, isIndex: true };
  }
  let type: MatchType = 'full';
  let search = buff;
  for (let i = 0; i < buff.length; i++) {
    const ch = buff[i]!;
    if (ch === '*') {
      if (i === 0) {
        type = 'end';
      } else if (i === buff.length - 1) {
        type = type === 'end' ? 'middle' : 'front';
        search = buff.slice(0, i);
        break;
      } else {
        return { glob: { search: buff, type: 'glob' }, not, isIndex: false };
      }
    } else if (ch === '[' || ch === '?' || ch === '\\') {
      return { glob: { search: buff, type: 'glob' }, not, isIndex: false };
    }
  }
  if (search.startsWith('*')) search = search.slice(1);
  return { glob: { search, type }, not, isIndex: false };
}

/** ftrace_match: does a function name match a parsed pattern? */
export function ftraceMatch(str: string, g: FtraceGlob): boolean {
  switch (g.type) {
    case 'full':
      return str === g.search;
    case 'front':
      return str.startsWith(g.search);
    case 'middle':
      return str.includes(g.search);
    case 'end':
      return str.endsWith(g.search);
    case 'glob':
      return globMatch(g.search, str);
  }
}

/** Convenience: parse and match in one go (the '!' and index forms are not meaningful here and match nothing). */
export function matchPattern(pattern: string, str: string): boolean {
  const p = filterParseRegex(pattern);
  if (p.not || p.isIndex) return false;
  return ftraceMatch(str, p.glob);
}

/**
 * lib/glob.c's glob_match: `*` any run (backtracking to the last star), `?` any one character,
 * `[...]` a class of characters and ranges (`[!...]` inverted; a `]` right after the opening is a
 * member; an unterminated class makes the `[` literal), `\x` the literal x. Whole-string match.
 */
export function globMatch(pat: string, str: string): boolean {
  let p = 0;
  let s = 0;
  let backPat = -1;
  let backStr = -1;
  // Characters past the end read as NUL, as in C.
  const at = (t: string, i: number): string => (i < t.length ? t[i]! : '\0');
  for (;;) {
    const c = at(str, s++);
    let d = at(pat, p++);
    let literal = true;
    let failed = false;
    if (d === '?') {
      literal = false;
      if (c === '\0') return false;
    } else if (d === '*') {
      literal = false;
      if (at(pat, p) === '\0') return true;
      backPat = p;
      backStr = --s;
    } else if (d === '[') {
      if (c === '\0') return false; // no possible match
      const inverted = at(pat, p) === '!';
      let cls = p + (inverted ? 1 : 0);
      let a = at(pat, cls++);
      let match = false;
      let malformed = false;
      do {
        let b = a;
        if (a === '\0') {
          malformed = true;
          break;
        }
        if (at(pat, cls) === '-' && at(pat, cls + 1) !== ']') {
          b = at(pat, cls + 1);
          if (b === '\0') {
            malformed = true;
            break;
          }
          cls += 2;
        }
        if (a <= c && c <= b) match = true;
        a = at(pat, cls++);
      } while (a !== ']');
      if (!malformed) {
        literal = false;
        if (match === inverted) failed = true;
        else p = cls;
      }
      // malformed: fall through to the literal comparison of '[' itself
    } else if (d === '\\') {
      d = at(pat, p++);
    }
    if (literal && !failed) {
      if (c === d) {
        if (d === '\0') return true;
        continue;
      }
      failed = true;
    }
    if (failed) {
      if (c === '\0' || backPat < 0) return false;
      p = backPat;
      s = ++backStr;
    }
  }
}
