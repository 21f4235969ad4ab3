import { describe, expect, it } from 'vitest';
import { PermanentError } from '../errors.js';
import { DEFAULT_FAMILIES } from './families.js';
import { resolveFamilies, searchProblems } from './run-families.js';

describe("a run's families and search overrides", () => {
  it("checks every grid value and fixed param against the family's params schema", () => {
    const problems = searchProblems(['gradient_boosting', 'xgboost'], {
      gradient_boosting: { grid: { learningRate: [0.1, -0.2], maxLeafNodes: [31, 2.5], leaves: [3] }, fixed: { maxBins: 1000 } },
      logistic_regression: { grid: { penalty: ['l2', 'l3'] } },
      svm: { fixed: {} },
    });
    expect(problems).toEqual([
      'families[1]: unknown model family "xgboost" (known: gradient_boosting, mlp, random_forest, logistic_regression, knn, decision_tree)',
      'search.gradient_boosting.grid.learningRate[1]: must be > 0',
      'search.gradient_boosting.grid.maxLeafNodes[1]: must be an integer',
      expect.stringMatching(/^search\.gradient_boosting\.grid\.leaves: unknown param of gradient_boosting \(known: maxIter, learningRate, /),
      'search.gradient_boosting.fixed.maxBins: must be <= 256',
      expect.stringMatching(/^search\.logistic_regression\.grid\.penalty\[1\]: must be one of /),
      expect.stringMatching(/^search\.svm: unknown model family/),
    ]);
    expect(() => resolveFamilies(undefined, { knn: { grid: { nNeighbors: [0] } } })).toThrow(PermanentError);
    expect(() => resolveFamilies(undefined, { knn: { grid: { nNeighbors: [0] } } })).toThrow('search.knn.grid.nNeighbors[0]: must be >= 1');
  });

  it('replaces the listed grid values, lets fixed params win, and keeps the rest', () => {
    const [gb, rf] = resolveFamilies(['gradient_boosting', 'random_forest'], {
      gradient_boosting: { grid: { learningRate: [0.3] }, fixed: { maxIter: 80, maxBins: 64 } },
      random_forest: { grid: { maxFeatures: ['sqrt', 0.5] } },
    });
    const defaults = DEFAULT_FAMILIES[0];
    expect(gb.grid).toEqual({ learningRate: [0.3], maxLeafNodes: defaults.grid.maxLeafNodes });
    expect(gb.fixed).toEqual({ maxIter: 80, maxBins: 64 });
    // maxIter is fixed now: nothing is left to stage.
    expect(gb.stageParam).toBeUndefined();
    expect(gb.largeGrid).toEqual({ learningRate: [0.3], maxLeafNodes: defaults.largeGrid!.maxLeafNodes });
    expect(rf.grid).toMatchObject({ maxFeatures: ['sqrt', 0.5], nEstimators: [50, 100, 200] });
    expect(rf.stageParam).toBe('nEstimators');
    expect(resolveFamilies()).toEqual(DEFAULT_FAMILIES);
  });
});
