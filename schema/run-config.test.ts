import { describe, expect, it } from 'vitest';
import { parseRunConfig, RunConfigError, TimeBudget } from './run-config.js';

describe('run files', () => {
  it('reads durations as seconds', () => {
    expect(['240', '4m', '90s', '1.5h', 0, 30].map((v) => TimeBudget.parse(v))).toEqual([240, 240, 90, 5400, 0, 30]);
    expect(TimeBudget.safeParse('4 minutes').success).toBe(false);
    expect(TimeBudget.safeParse(-1).success).toBe(false);
  });

  it('parses a YAML run file', () => {
    const text = 'timeBudget: 2m\nfamilies: [gradient_boosting]\nfolds: 5\nsearch:\n  gradient_boosting:\n    grid: { learningRate: [0.1, 0.2] }\n    fixed: { maxBins: 64 }\n';
    expect(parseRunConfig(text)).toEqual({
      timeBudget: 120,
      families: ['gradient_boosting'],
      folds: 5,
      search: { gradient_boosting: { grid: { learningRate: [0.1, 0.2] }, fixed: { maxBins: 64 } } },
    });
  });

  it('names the path and the rule of every problem', () => {
    const err = (() => {
      try {
        parseRunConfig('timeBudget: soon\nfolds: 1\nsearch:\n  knn:\n    grid: { nNeighbors: [] }\n    extra: 1\nsurprise: true\n', 'run.yaml');
      } catch (e) {
        return e as RunConfigError;
      }
    })();
    expect(err).toBeInstanceOf(RunConfigError);
    expect(err!.message).toMatch(/^run\.yaml: not a valid run file/);
    expect(err!.problems).toEqual(
      expect.arrayContaining([
        '(root): unknown key(s) surprise',
        'folds: must be >= 2',
        'search.knn.grid.nNeighbors: must hold at least 1 item(s)',
        'search.knn: unknown key(s) extra',
      ]),
    );
    expect(err!.problems.find((p) => p.startsWith('timeBudget'))).toBeDefined();
    expect(() => parseRunConfig('search: [1')).toThrow(/not valid YAML or JSON/);
  });
});
