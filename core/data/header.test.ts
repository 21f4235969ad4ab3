import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemaOf } from '../../test/helpers/datasets.js';
import { mapHeader, withinDistance } from './header.js';
import { IssueCollector } from './read-issues.js';

/** Full edit distance, the reference the banded one must agree with. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

describe('header mapping', () => {
  it('tells an edit distance within k exactly as the full computation does', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 12 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 6 }), (a, b, k) => withinDistance(a, b, k) === distance(a, b) <= k),
      { numRuns: 2000, seed: 12 },
    );
  });

  const schema = schemaOf({ name: 't', label: { name: 'label', classes: ['a', 'b'], threat: ['b'] }, features: [{ name: 'src_bytes', kind: 'numeric' }, { name: 'dst_port', kind: 'numeric' }] });

  it('points at a renamed column, also among many extra columns', () => {
    const issues = new IssueCollector();
    mapHeader(['label', 'srcbytes', 'dst_prt', ...Array.from({ length: 100 }, (_, i) => `x${i}`)], schema, issues, true);
    const messages = issues.list().filter((i) => i.severity === 'error').map((i) => i.message);
    expect(messages).toEqual(['column src_bytes is missing (renamed to srcbytes?)', 'column dst_port is missing (renamed to dst_prt?)']);
  });

  it('gives no hint for huge names, and shows them cut short', () => {
    const issues = new IssueCollector();
    const huge = `dst_port${'x'.repeat(100_000)}`;
    mapHeader(['label', 'src_bytes', huge], schema, issues, true);
    const all = issues.list();
    expect(all.find((i) => i.column === 'dst_port')?.message).toBe('column dst_port is missing');
    expect(all.find((i) => i.rule === 'extra-column')!.message.length).toBeLessThan(200);
  });
});
