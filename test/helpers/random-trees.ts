/** Random trees with consistent covers, and the Shapley values they should get by brute force: the TreeSHAP engines' tests share them. */
import { Rng } from '../../core/data/rng.js';
import type { ShapTree } from '../../core/explain/packed-trees.js';

/** A random tree on `cols` features with consistent covers, numeric and (optionally) categorical splits. */
export function randomTree(rng: Rng, cols: number, maxDepth: number, o: { categorical?: Set<number>; nCats?: number; width?: number } = {}): ShapTree {
  const t: ShapTree & { categories: ShapTree['categories'] } = { feature: [], threshold: [], left: [], value: [], cover: [], categories: [] };
  const width = o.width ?? 1;
  const add = (cover: number) => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.cover!.push(cover);
    t.categories!.push(null);
    for (let k = 0; k < width; k++) t.value.push(rng.next() * 2 - 1);
    return t.feature.length - 1;
  };
  const grow = (node: number, depth: number) => {
    if (depth >= maxDepth || (depth > 0 && rng.next() < (maxDepth > 10 ? 0.1 : 0.2))) return;
    const f = rng.int(cols);
    const left = add(0);
    add(0);
    const share = 0.05 + 0.9 * rng.next();
    t.cover![left] = t.cover![node] * share;
    t.cover![left + 1] = t.cover![node] - t.cover![left];
    t.feature[node] = f;
    t.left[node] = left;
    if (o.categorical?.has(f)) {
      const n = o.nCats ?? 4;
      const codes = [-2, -1, ...Array.from({ length: n }, (_, i) => i)].filter(() => rng.next() < 0.5);
      t.categories![node] = { n, left: codes };
    } else t.threshold[node] = Math.round((rng.next() * 2 - 1) * 4) / 4;
    grow(left, depth + 1);
    grow(left + 1, depth + 1);
  };
  grow(add(50 + rng.int(1000)), 0);
  return t;
}

/** Whether the row goes left at a node, as the scorer decides. */
export function goesLeft(t: ShapTree, node: number, x: number[]): boolean {
  const v = x[t.feature[node]];
  const c = t.categories?.[node];
  if (!c) return v !== v ? (t.defaultLeft?.[node] ?? true) : v <= t.threshold[node];
  const code = v < -1.5 || v >= c.n - 0.5 ? -2 : v < -0.5 ? -1 : Math.round(v);
  return c.left.includes(code);
}

/** The path-dependent value function: features in S follow x, the others split by cover. */
export function expectation(t: ShapTree, node: number, x: number[], S: Set<number>, col: number, width: number): number {
  if (t.feature[node] < 0) return t.value[node * width + col];
  const l = t.left[node];
  if (S.has(t.feature[node])) return expectation(t, goesLeft(t, node, x) ? l : l + 1, x, S, col, width);
  const c = t.cover!;
  return (c[l] * expectation(t, l, x, S, col, width) + c[l + 1] * expectation(t, l + 1, x, S, col, width)) / c[node];
}

/** Shapley values by enumerating every coalition of the M features. */
export function bruteForce(trees: ShapTree[], x: number[], M: number, col = 0, width = 1, scale = 1): { phi: number[]; base: number } {
  const v = (mask: number) => {
    const S = new Set<number>();
    for (let j = 0; j < M; j++) if (mask & (1 << j)) S.add(j);
    return trees.reduce((s, t) => s + scale * expectation(t, 0, x, S, col, width), 0);
  };
  const values = Array.from({ length: 1 << M }, (_, m) => v(m));
  const fact = [1];
  for (let i = 1; i <= M; i++) fact.push(fact[i - 1] * i);
  const phi = new Array<number>(M).fill(0);
  for (let i = 0; i < M; i++) {
    for (let m = 0; m < 1 << M; m++) {
      if (m & (1 << i)) continue;
      let s = 0;
      for (let j = 0; j < M; j++) if (m & (1 << j)) s++;
      phi[i] += ((fact[s] * fact[M - s - 1]) / fact[M]) * (values[m | (1 << i)] - values[m]);
    }
  }
  return { phi, base: values[0] };
}

export function predict(trees: ShapTree[], x: number[], col = 0, width = 1, scale = 1): number {
  let s = 0;
  for (const t of trees) {
    let n = 0;
    while (t.feature[n] >= 0) n = goesLeft(t, n, x) ? t.left[n] : t.left[n] + 1;
    s += scale * t.value[n * width + col];
  }
  return s;
}

export const randomRow = (rng: Rng, M: number) => Array.from({ length: M }, () => Math.round((rng.next() * 2 - 1) * 5) / 4);

/** Largest |difference| between two engines' contributions of row x (M columns). */
export function explanationGap(x: ArrayLike<number>, M: number, a: { explain(x: ArrayLike<number>, x0: number, phi: Float64Array): void }, b: typeof a): number {
  const pa = new Float64Array(M);
  const pb = new Float64Array(M);
  a.explain(x, 0, pa);
  b.explain(x, 0, pb);
  return pa.reduce((w, v, j) => Math.max(w, Math.abs(v - pb[j])), 0);
}

/** An empty tree with NaN directions, and a function that appends a leaf (random value, given cover) and returns its index. */
export function growingTree(rng: Rng): { t: ShapTree; leaf(cover: number): number } {
  const t: ShapTree = { feature: [], threshold: [], left: [], value: [], cover: [], defaultLeft: [] };
  const leaf = (cover: number) => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.value.push(rng.next() * 2 - 1);
    t.cover!.push(cover);
    t.defaultLeft!.push(false);
    return t.feature.length - 1;
  };
  return { t, leaf };
}
