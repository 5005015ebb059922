// Filter-pattern matching (src/ftrace/glob.ts) against a regex reference, and filter_parse_regex's classification.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { filterParseRegex, ftraceMatch, globMatch } from '../src/ftrace/glob.js';

/** Reference: translate a well-formed glob (no unterminated class) into an anchored regex. */
function globToRegex(pat: string): RegExp {
  let re = '^';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '\\') re += escapeRe(pat[++i]!);
    else if (c === '[') {
      let j = i + 1;
      const neg = pat[j] === '!';
      if (neg) j++;
      let body = '';
      let first = true;
      while (first || pat[j] !== ']') {
        first = false;
        const a = pat[j]!;
        if (pat[j + 1] === '-' && pat[j + 2] !== ']') {
          body += `${escapeRe(a)}-${escapeRe(pat[j + 2]!)}`;
          j += 3;
        } else {
          body += escapeRe(a);
          j++;
        }
      }
      re += `[${neg ? '^' : ''}${body}]`;
      i = j;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$');
}

function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

const nameChar = fc.constantFrom('a', 'b', 'c', '_');
const name = fc.array(nameChar, { maxLength: 8 }).map((a) => a.join(''));
const cls = fc
  .tuple(fc.boolean(), fc.array(fc.oneof(nameChar, fc.constant('a-c'), fc.constant('b-b')), { minLength: 1, maxLength: 3 }))
  .map(([neg, parts]) => `[${neg ? '!' : ''}${parts.join('')}]`);
const token = fc.oneof(
  { weight: 4, arbitrary: nameChar },
  { weight: 2, arbitrary: fc.constant('*') },
  { weight: 1, arbitrary: fc.constant('?') },
  { weight: 1, arbitrary: cls },
  { weight: 1, arbitrary: nameChar.map((c) => `\\${c}`) },
);
const pattern = fc.array(token, { maxLength: 6 }).map((a) => a.join(''));

describe('globMatch', () => {
  it('agrees with the regex reference on well-formed patterns', () => {
    fc.assert(
      fc.property(pattern, name, (p, s) => {
        expect(globMatch(p, s)).toBe(globToRegex(p).test(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('ftrace_match over filter_parse_regex agrees with the plain glob for every pattern shape', () => {
    fc.assert(
      fc.property(pattern, name, (p, s) => {
        fc.pre(!p.startsWith('!') && !/^[0-9]/.test(p));
        const parsed = filterParseRegex(p);
        expect(ftraceMatch(s, parsed.glob)).toBe(globToRegex(p).test(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches the kernel on the hand-picked cases', () => {
    expect(globMatch('vfs_*', 'vfs_read')).toBe(true);
    expect(globMatch('*read', 'vfs_read')).toBe(true);
    expect(globMatch('*fs_r*', 'vfs_read')).toBe(true);
    expect(globMatch('v*_r?ad', 'vfs_read')).toBe(true);
    expect(globMatch('v*_r?ad', 'vfs_rad')).toBe(false);
    expect(globMatch('[!a-u]fs_read', 'vfs_read')).toBe(true);
    expect(globMatch('[!v]fs_read', 'vfs_read')).toBe(false);
    expect(globMatch('[]]x', ']x')).toBe(true);
    // An unterminated class makes '[' literal.
    expect(globMatch('a[b', 'a[b')).toBe(true);
    expect(globMatch('a[b', 'ab')).toBe(false);
    expect(globMatch('a\\*', 'a*')).toBe(true);
    expect(globMatch('a\\*', 'ab')).toBe(false);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('?', '')).toBe(false);
  });

  it('a negative control: a reference that ignores classes disagrees somewhere', () => {
    const broken = (p: string, s: string): boolean => new RegExp('^' + p.replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(s);
    const disagreement = fc.check(fc.property(pattern, name, (p, s) => {
      fc.pre(!p.includes('\\'));
      return globMatch(p, s) === broken(p, s.replace(/[[\]]/g, ''));
    }), { numRuns: 3000, seed: 7 });
    expect(disagreement.failed).toBe(true);
  });
});

describe('filterParseRegex', () => {
  it('classifies as the kernel does', () => {
    expect(filterParseRegex('vfs_read')).toEqual({ glob: { search: 'vfs_read', type: 'full' }, not: false, isIndex: false });
    expect(filterParseRegex('vfs_*')).toEqual({ glob: { search: 'vfs_', type: 'front' }, not: false, isIndex: false });
    expect(filterParseRegex('*_read')).toEqual({ glob: { search: '_read', type: 'end' }, not: false, isIndex: false });
    expect(filterParseRegex('*fs*')).toEqual({ glob: { search: 'fs', type: 'middle' }, not: false, isIndex: false });
    expect(filterParseRegex('v*d')).toEqual({ glob: { search: 'v*d', type: 'glob' }, not: false, isIndex: false });
    expect(filterParseRegex('*a?')).toEqual({ glob: { search: '*a?', type: 'glob' }, not: false, isIndex: false });
    expect(filterParseRegex('!sched*')).toEqual({ glob: { search: 'sched', type: 'front' }, not: true, isIndex: false });
    expect(filterParseRegex('*')).toEqual({ glob: { search: '', type: 'end' }, not: false, isIndex: false });
    expect(filterParseRegex('12').isIndex).toBe(true);
  });
});
