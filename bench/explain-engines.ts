/**
 * npx tsx bench/explain-engines.ts [--rounds 5] [--cuts Infinity,8js,8] [--shapes]
 *
 * Same-process A/B of the TreeSHAP engines on fixed models (the served phishing boosting of
 * bench:explain, 200 leaf-wise trees of 63 leaves, and ours in XGBoost's anchor shape, 100 trees of
 * depth 6): MixedTreeShap with each cut (Infinity: every tree per-leaf, the engine before
 * LinearTreeShap; 0: every tree linear; a cut ending in `js`, e.g. 8js: LinearTreeShap's JavaScript passes in
 * place of its WebAssembly kernel), rounds alternating in order, rows per CPU second (steadier
 * than wall time on a loaded machine), medians, for 64-row blocks and single rows. Also the largest
 * difference of each engine's values from the first. --shapes adds boostings of 100 trees of 31
 * leaves (8-14 path features) and of depth 8 (8 features, 256 leaves), where the cut matters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { FastTreeShap } from '../core/explain/fast-tree-shap.js';
import { LinearTreeShap } from '../core/explain/linear-tree-shap.js';
import { maxPathFeatures, MixedTreeShap } from '../core/explain/mixed-tree-shap.js';
import type { ShapTree } from '../core/explain/packed-trees.js';
import { GradientBoosting } from '../core/models/gradient-boosting.js';
import { Preprocessor } from '../core/transform/preprocessor.js';
import { loadServedModel } from '../core/registry/served-model.js';
import { trainPhishing } from '../test/helpers/served.js';
import { phishingSplit } from './lib/phishing-split.js';
import { fmt, int, table } from './lib/table.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, cuts: { type: 'string', default: 'Infinity,8' }, shapes: { type: 'boolean', default: false } } });
const rounds = Number(args.rounds);
const cuts = args.cuts.split(',');
const dir = await mkdtemp(join(tmpdir(), 'tm-bench-engines-'));
const { train, test } = await phishingSplit();

process.stderr.write('training the served model and one in the anchor shape...\n');
const registry = await trainPhishing(new LocalArtifactStore(join(dir, 'artifacts')), 'bench-engines', ['gradient_boosting']);
const entry = (await registry.versions('phishing')).at(-1)!;
const served = (await loadServedModel(registry, new LocalArtifactStore(join(dir, 'artifacts')), 'phishing', entry.version))!.pipeline;
const pre = Preprocessor.forModel('gradient_boosting');
const anchor = new GradientBoosting({ maxIter: 100, maxDepth: 6, maxLeafNodes: 64, learningRate: 0.3, earlyStopping: false, minSamplesLeaf: 1 });
await anchor.fit(pre.fitTransform(train.features), train.labels, { nClasses: 2, categorical: pre.categoricalFeatures });

const models = [
  { name: `served: ${JSON.stringify(entry.params)}`, trees: (served.model.toJSON().state as { trees: ShapTree[] }).trees, X: served.preprocessor.transform(test.features) },
  { name: 'anchor shape: 100 trees of depth 6', trees: (anchor.toJSON().state as { trees: ShapTree[] }).trees, X: pre.transform(test.features) },
];

if (args.shapes) {
  const shapes = [
    { name: 'shapes: 100 trees of 31 leaves', p: { maxIter: 100, maxLeafNodes: 31, learningRate: 0.1, earlyStopping: false } },
    { name: 'shapes: 100 trees of depth 8', p: { maxIter: 100, maxDepth: 8, maxLeafNodes: 256, learningRate: 0.3, earlyStopping: false, minSamplesLeaf: 1 } },
  ];
  for (const { name, p } of shapes) {
    const m = new GradientBoosting(p);
    await m.fit(pre.transform(train.features), train.labels, { nClasses: 2, categorical: pre.categoricalFeatures });
    models.push({ name, trees: (m.toJSON().state as { trees: ShapTree[] }).trees, X: pre.transform(test.features) });
  }
}

const rows: (string | number)[][] = [];
for (const { name, trees, X } of models) {
  const engines = cuts.map((cut) => (cut.endsWith('js') ? linearInJs(trees, Number(cut.slice(0, -2))) : new MixedTreeShap(trees, { linearAbove: Number(cut) })));
  const { rows: R, cols: C, data } = X;
  const phi = new Float64Array(64 * C);
  // Values of every engine against the first's, all rows.
  const first = new Float64Array(R * C);
  const gaps = engines.map((e, i) => {
    let gap = 0;
    for (let r0 = 0; r0 < R; r0 += 64) {
      const r1 = Math.min(R, r0 + 64);
      phi.fill(0);
      e.explainRows(data, C, r0, r1, phi);
      for (let k = 0; k < (r1 - r0) * C; k++) {
        if (i === 0) first[r0 * C + k] = phi[k];
        else gap = Math.max(gap, Math.abs(phi[k] - first[r0 * C + k]));
      }
    }
    return gap;
  });
  for (const block of [64, 1]) {
    const rates = engines.map(() => [] as number[]);
    // At least ~1 s of work per figure on either model.
    const passes = Math.max(1, Math.round(2000 / R));
    for (let round = 0; round < rounds; round++) {
      const order = engines.map((_, i) => i);
      if (round % 2) order.reverse();
      for (const i of order) {
        const c0 = process.cpuUsage();
        for (let p = 0; p < passes; p++) for (let r0 = 0; r0 < R; r0 += block) engines[i].explainRows(data, C, r0, Math.min(R, r0 + block), phi);
        const c = process.cpuUsage(c0);
        rates[i].push((passes * R) / ((c.user + c.system) / 1e6));
      }
    }
    const median = (a: number[]) => a.slice().sort((p, q) => p - q)[a.length >> 1];
    cuts.forEach((cut, i) => rows.push([name, cut, block, int(median(rates[i])), fmt(median(rates[i]) / median(rates[0]), 2), gaps[i].toExponential(1)]));
  }
}
console.log(`bench explain-engines: ${rounds} alternating rounds, rows per CPU second, medians`);
console.log(table(['model', 'linear above', 'rows per call', 'rows/CPU s', `x first`, 'max |diff| to first'], rows));
await rm(dir, { recursive: true, force: true });

/** MixedTreeShap's split at `linearAbove` with LinearTreeShap in JavaScript (wasm: false), FastTreeShap as usual. */
function linearInJs(trees: ShapTree[], linearAbove: number): Pick<MixedTreeShap, 'explainRows'> {
  const deep = trees.map((t) => maxPathFeatures(t) > linearAbove);
  const engines = [new FastTreeShap(trees.filter((_, i) => !deep[i])), new LinearTreeShap(trees.filter((_, i) => deep[i]), { wasm: false })];
  return { explainRows: (x, cols, r0, r1, phi) => engines.forEach((e) => e.explainRows(x, cols, r0, r1, phi)) };
}
