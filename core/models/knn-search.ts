import { BLOCK, DistanceKernel } from './knn-kernel.js';

/**
 * The k nearest stored points to a query, nearest first, as squared Euclidean distances. Every
 * search gives the same answer to the bit: distances are summed the one way `squaredDistance`
 * does, and ties go to the lower point index.
 */
export interface NeighbourSearch {
  readonly algorithm: 'brute' | 'kd_tree';
  /** Fills dist/idx (length >= k) with the k nearest points to q; returns how many were found. */
  search(q: Float64Array, k: number, dist: Float64Array, idx: Int32Array): number;
  /**
   * The k nearest points to each row of Q (rows x cols, row-major): row r's neighbours in
   * dist/idx[r * k, r * k + found[r]).
   */
  searchRows(Q: ArrayLike<number>, rows: number, k: number): Neighbours;
}

export interface Neighbours {
  dist: Float64Array;
  idx: Int32Array;
  found: Int32Array;
}

/**
 * Squared distance of q to the point at pts[o], summing even and odd columns apart (the two lanes
 * of the WebAssembly kernel) and adding them at the end. Stops once the sum passes `limit` (the
 * partial sum returned is then above it too: both halves only grow).
 */
export function squaredDistance(q: Float64Array, pts: Float64Array, o: number, cols: number, limit: number): number {
  let even = 0;
  let odd = 0;
  let c = 0;
  for (; c + 1 < cols && even + odd <= limit; c += 2) {
    const a = q[c] - pts[o + c];
    const b = q[c + 1] - pts[o + c + 1];
    even += a * a;
    odd += b * b;
  }
  if (c + 1 === cols) {
    const a = q[c] - pts[o + c];
    even += a * a;
  }
  return even + odd;
}

/**
 * Puts point j at distance d into the sorted best list when it beats the k-th, ordered by (d, j).
 * Returns the new count.
 */
function offer(dist: Float64Array, idx: Int32Array, at0: number, found: number, k: number, d: number, j: number): number {
  const last = at0 + k - 1;
  if (found === k && (d > dist[last] || (d === dist[last] && j > idx[last]))) return found;
  let at = at0 + (found < k ? found++ : k - 1);
  while (at > at0 && (dist[at - 1] > d || (dist[at - 1] === d && idx[at - 1] > j))) {
    dist[at] = dist[at - 1];
    idx[at] = idx[at - 1];
    at--;
  }
  dist[at] = d;
  idx[at] = j;
  return found;
}

/** Runs a one-query search over every row of Q. */
function eachRow(s: NeighbourSearch, cols: number, Q: ArrayLike<number>, rows: number, k: number): Neighbours {
  const out = { dist: new Float64Array(rows * k), idx: new Int32Array(rows * k), found: new Int32Array(rows) };
  const q = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[c] = Q[r * cols + c];
    out.found[r] = s.search(q, k, out.dist.subarray(r * k, (r + 1) * k), out.idx.subarray(r * k, (r + 1) * k));
  }
  return out;
}

/**
 * Every point, in index order, through the WebAssembly kernel four query rows a call (SIMD, no
 * early stop), which holds the only copy of the points; where the kernel cannot be built, in
 * JavaScript, each sum stopping once past the current k-th best.
 */
export class BruteSearch implements NeighbourSearch {
  readonly algorithm = 'brute';
  private readonly kernel: DistanceKernel | null;
  private readonly points?: Float64Array;
  private readonly m: number;

  constructor(
    points: Float64Array,
    private readonly cols: number,
    { wasm = true }: { wasm?: boolean } = {},
  ) {
    this.m = points.length / cols;
    this.kernel = wasm ? DistanceKernel.over(points, cols) : null;
    if (!this.kernel) this.points = points;
  }

  search(q: Float64Array, k: number, dist: Float64Array, idx: Int32Array): number {
    if (this.kernel) {
      const r = this.searchRows(q, 1, k);
      dist.set(r.dist);
      idx.set(r.idx);
      return r.found[0];
    }
    const { points: pts, cols, m } = this;
    let found = 0;
    let worst = Infinity;
    for (let j = 0; j < m; j++) {
      const d = squaredDistance(q, pts!, j * cols, cols, worst);
      if (d > worst) continue;
      found = offer(dist, idx, 0, found, k, d, j);
      if (found === k) worst = dist[k - 1];
    }
    return found;
  }

  searchRows(Q: ArrayLike<number>, rows: number, k: number): Neighbours {
    const { kernel, cols, m } = this;
    if (!kernel) return eachRow(this, cols, Q, rows, k);
    const out = { dist: new Float64Array(rows * k), idx: new Int32Array(rows * k), found: new Int32Array(rows) };
    for (let r0 = 0; r0 < rows; r0 += BLOCK) {
      const n = Math.min(BLOCK, rows - r0);
      for (let s = 0; s < BLOCK; s++) kernel.setQuery(s, Q, (r0 + Math.min(s, n - 1)) * cols);
      kernel.run();
      const d = kernel.out;
      for (let s = 0; s < n; s++) {
        const at = (r0 + s) * k;
        let found = 0;
        let worst = Infinity;
        for (let j = 0, o = s * m; j < m; j++) {
          const dj = d[o + j];
          if (dj > worst) continue;
          found = offer(out.dist, out.idx, at, found, k, dj, j);
          if (found === k) worst = out.dist[at + k - 1];
        }
        out.found[r0 + s] = found;
      }
    }
    return out;
  }
}

/** Points per leaf (scikit-learn's default leaf_size is 30). */
const LEAF_SIZE = 32;

/**
 * A KD-tree (scikit-learn's KDTree): nodes split at the median of their widest column, each with
 * the bounding box of its points. A node is skipped when its box's distance to the query exceeds
 * the k-th best; that bound sums the per-column gaps in the same order and rounding as a point's
 * distance, so it never exceeds the distance computed for any point inside (exact pruning).
 */
export class KdTree implements NeighbourSearch {
  readonly algorithm = 'kd_tree';
  /** Points in tree order (each leaf's points together). */
  private readonly pts: Float64Array;
  /** Original index of each point in tree order. */
  private readonly perm: Int32Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  /** Children; -1 for a leaf. */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** Points and boxes looked at by the last searches (for choosing between the searches). */
  work = 0;

  constructor(
    points: Float64Array,
    private readonly cols: number,
    leafSize = LEAF_SIZE,
  ) {
    const m = points.length / cols;
    const perm = Int32Array.from({ length: m }, (_, i) => i);
    const start: number[] = [];
    const end: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    const boxLo = new Float64Array(cols);
    const boxHi = new Float64Array(cols);
    const build = (s: number, e: number): number => {
      const node = start.length;
      start.push(s);
      end.push(e);
      left.push(-1);
      right.push(-1);
      boxLo.fill(Infinity);
      boxHi.fill(-Infinity);
      for (let i = s; i < e; i++) {
        const o = perm[i] * cols;
        for (let c = 0; c < cols; c++) {
          const v = points[o + c];
          if (v < boxLo[c]) boxLo[c] = v;
          if (v > boxHi[c]) boxHi[c] = v;
        }
      }
      for (let c = 0; c < cols; c++) lo.push(boxLo[c]);
      for (let c = 0; c < cols; c++) hi.push(boxHi[c]);
      if (e - s <= leafSize) return node;
      let dim = 0;
      for (let c = 1; c < cols; c++) if (boxHi[c] - boxLo[c] > boxHi[dim] - boxLo[dim]) dim = c;
      if (!(boxHi[dim] > boxLo[dim])) return node;
      const mid = (s + e) >> 1;
      selectNth(perm, s, e, mid, (i) => points[i * cols + dim]);
      left[node] = build(s, mid);
      right[node] = build(mid, e);
      return node;
    };
    build(0, m);
    this.perm = perm;
    this.start = Int32Array.from(start);
    this.end = Int32Array.from(end);
    this.left = Int32Array.from(left);
    this.right = Int32Array.from(right);
    this.lo = Float64Array.from(lo);
    this.hi = Float64Array.from(hi);
    this.pts = new Float64Array(points.length);
    for (let i = 0; i < m; i++) this.pts.set(points.subarray(perm[i] * cols, (perm[i] + 1) * cols), i * cols);
  }

  /** Squared distance from q to node's box, summed as `squaredDistance` sums (so never above a point's inside). */
  private bound(q: Float64Array, node: number): number {
    const { cols, lo, hi } = this;
    const o = node * cols;
    let even = 0;
    let odd = 0;
    for (let c = 0; c < cols; c++) {
      const v = q[c];
      const l = lo[o + c];
      const h = hi[o + c];
      const gap = v < l ? l - v : v > h ? v - h : 0;
      if (c & 1) odd += gap * gap;
      else even += gap * gap;
    }
    return even + odd;
  }

  search(q: Float64Array, k: number, dist: Float64Array, idx: Int32Array): number {
    const { cols, pts, perm, start, end, left, right } = this;
    let found = 0;
    let work = 0;
    const visit = (node: number, nodeBound: number): void => {
      if (found === k && nodeBound > dist[k - 1]) return;
      const l = left[node];
      if (l < 0) {
        for (let i = start[node]; i < end[node]; i++) {
          const worst = found === k ? dist[k - 1] : Infinity;
          const d = squaredDistance(q, pts, i * cols, cols, worst);
          if (d <= worst) found = offer(dist, idx, 0, found, k, d, perm[i]);
        }
        work += end[node] - start[node];
        return;
      }
      const r = right[node];
      const bl = this.bound(q, l);
      const br = this.bound(q, r);
      work += 2;
      if (bl <= br) {
        visit(l, bl);
        visit(r, br);
      } else {
        visit(r, br);
        visit(l, bl);
      }
    };
    visit(0, 0);
    this.work += work;
    return found;
  }

  searchRows(Q: ArrayLike<number>, rows: number, k: number): Neighbours {
    return eachRow(this, this.cols, Q, rows, k);
  }
}

/** Moves the element of rank n (by key) of perm[s, e) to position n, smaller keys before it (quickselect). */
function selectNth(perm: Int32Array, s: number, e: number, n: number, key: (i: number) => number): void {
  let a = s;
  let b = e - 1;
  while (b > a) {
    const pivot = key(perm[(a + b) >> 1]);
    let i = a;
    let j = b;
    while (i <= j) {
      while (key(perm[i]) < pivot) i++;
      while (key(perm[j]) > pivot) j--;
      if (i <= j) {
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        i++;
        j--;
      }
    }
    if (n <= j) b = j;
    else if (n >= i) a = i;
    else return;
  }
}

/** Probe queries `auto` runs on the tree. */
const PROBES = 32;
/**
 * `auto` keeps the tree when a probe query looks at most this share of the points (points plus
 * boxes). bench:knn: the kernel's brute force costs about a fifth of the tree's per point looked at.
 */
const TREE_MAX_WORK_SHARE = 0.2;
/**
 * Beyond this many columns `auto` scans without trying the tree (scikit-learn's bound too).
 * bench:knn: the tree lost 4x to the kernel on the phishing data (30 columns) and 5x at 225.
 */
const TREE_MAX_COLS = 15;

/**
 * The search for `algorithm`. `auto` is scikit-learn's algorithm='auto' checked by measurement:
 * brute force for few points or many columns; otherwise it builds the tree and runs probe queries
 * (midpoints of stored point pairs, picked by position, so the choice is deterministic), and keeps
 * it only when they look at few of the points.
 */
export function chooseSearch(points: Float64Array, cols: number, k: number, algorithm: 'auto' | 'kd_tree' | 'brute'): NeighbourSearch {
  const m = points.length / cols;
  if (algorithm === 'brute' || (algorithm === 'auto' && (m <= 4 * LEAF_SIZE || cols > TREE_MAX_COLS))) return new BruteSearch(points, cols);
  const tree = new KdTree(points, cols);
  if (algorithm === 'kd_tree') return tree;
  const kk = Math.min(k, m);
  const dist = new Float64Array(kk);
  const idx = new Int32Array(kk);
  const q = new Float64Array(cols);
  const step = m / PROBES;
  for (let p = 0; p < PROBES; p++) {
    const a = Math.floor(p * step) * cols;
    const b = Math.floor(((p + PROBES / 2) % PROBES) * step + step / 2) * cols;
    for (let c = 0; c < cols; c++) q[c] = (points[a + c] + points[b + c]) / 2;
    tree.search(q, kk, dist, idx);
  }
  const share = tree.work / (PROBES * m);
  tree.work = 0;
  return share <= TREE_MAX_WORK_SHARE ? tree : new BruteSearch(points, cols);
}
