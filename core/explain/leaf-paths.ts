import { LEAF, type PackedTrees } from './packed-trees.js';

/** One split on a leaf's path: the node, whether the path goes left there, its feature's index among the path's distinct features. */
export interface PathStep {
  node: number;
  left: boolean;
  u: number;
}

/** A leaf with its path: distinct features in order of first split from the root, their z (product of cover fractions), every split. */
export interface LeafPath {
  node: number;
  value: number;
  features: number[];
  zeros: number[];
  steps: PathStep[];
}

/**
 * A subtree explained by one table: keyed by which of the `p` features split above it the row
 * satisfies so far (bits 0 .. p-1) and how the row goes at each of its `splits` (bit p + j), it
 * holds the summed contributions of all its leaves to `features` (the p above, then new ones).
 */
export interface Block {
  node: number;
  p: number;
  splits: number[];
  features: number[];
  leaves: LeafPath[];
}

/** A tree cut for explaining: splits walked per row (with the bit of their feature), blocks, and leaves outside blocks. */
export interface CutTree {
  splits: number[];
  splitBits: number[];
  blocks: Block[];
  leaves: LeafPath[];
  /** The output with no feature known: sum over leaves of v * prod z. */
  expected: number;
}

interface State {
  node: number;
  features: number[];
  zeros: number[];
  steps: PathStep[];
}

/**
 * Cuts the tree at `root`: a node whose p features above plus its split count fit in `blockBits`
 * becomes a block while `budget.numbers` (table numbers, 2^(p + splits) x width each) lasts; the
 * splits above blocks are walked, parents first (the bit of a feature past 30 is 0: only leaves
 * without blocks lie below); leaves outside blocks are listed. Leaves of value 0 are dropped.
 */
export function cutTree(t: PackedTrees, root: number, blockBits: number, budget: { numbers: number }): CutTree {
  const inner = splitCounts(t, root);
  const out: CutTree = { splits: [], splitBits: [], blocks: [], leaves: [], expected: 0 };
  // Iterative: leaf-wise trees can be deep.
  const stack: State[] = [{ node: root, features: [], zeros: [], steps: [] }];
  while (stack.length) {
    const s = stack.pop()!;
    const bits = s.features.length + (inner.get(s.node) ?? 0);
    const size = bits <= blockBits ? bits * 2 ** bits : Infinity;
    if (size <= budget.numbers) {
      const block = collectBlock(t, s);
      budget.numbers -= block.features.length * 2 ** bits;
      for (const leaf of block.leaves) out.expected += expectedOf(leaf);
      out.blocks.push(block);
      continue;
    }
    if (t.feature[s.node] === LEAF) {
      if (t.value[s.node] !== 0) {
        const leaf = { node: s.node, value: t.value[s.node], features: s.features, zeros: s.zeros, steps: s.steps };
        out.expected += expectedOf(leaf);
        out.leaves.push(leaf);
      }
      continue;
    }
    const { u, children } = split(t, s);
    out.splits.push(s.node);
    out.splitBits.push(u < 31 ? 1 << u : 0);
    for (const c of children) stack.push(c);
  }
  return out;
}

/** The block at `s`: its splits in preorder, its leaves (value not 0) and features. */
function collectBlock(t: PackedTrees, s: State): Block {
  const block: Block = { node: s.node, p: s.features.length, splits: [], features: [...s.features], leaves: [] };
  const stack = [s];
  while (stack.length) {
    const c = stack.pop()!;
    if (t.feature[c.node] === LEAF) {
      if (t.value[c.node] !== 0) block.leaves.push({ node: c.node, value: t.value[c.node], features: c.features, zeros: c.zeros, steps: c.steps });
      continue;
    }
    block.splits.push(c.node);
    if (!block.features.includes(t.feature[c.node])) block.features.push(t.feature[c.node]);
    for (const child of split(t, c).children) stack.push(child);
  }
  return block;
}

/** The two children of split `s.node` with their paths, and the index of its feature among the path's distinct features. */
function split(t: PackedTrees, s: State): { u: number; children: State[] } {
  const n = s.node;
  const f = t.feature[n];
  let u = s.features.indexOf(f);
  const features = u < 0 ? [...s.features, f] : s.features;
  if (u < 0) u = s.features.length;
  // Right pushed first: the left subtree is walked (popped) first.
  const children = [false, true].map((left) => {
    const child = left ? t.left[n] : t.left[n] + 1;
    const zeros = u < s.zeros.length ? [...s.zeros] : [...s.zeros, 1];
    zeros[u] *= t.cover[child] / t.cover[n];
    return { node: child, features, zeros, steps: [...s.steps, { node: n, left, u }] };
  });
  return { u, children };
}

/** v * prod z: the leaf's share of the output with no feature known. */
function expectedOf(leaf: LeafPath): number {
  let e = leaf.value;
  for (const z of leaf.zeros) e *= z;
  return e;
}

/** Per node of the tree at `root`, how many splits its subtree holds (leaves absent). */
function splitCounts(t: PackedTrees, root: number): Map<number, number> {
  const order: number[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    order.push(n);
    if (t.feature[n] !== LEAF) stack.push(t.left[n], t.left[n] + 1);
  }
  const count = new Map<number, number>();
  // Reverse preorder: children before their parent.
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (t.feature[n] !== LEAF) count.set(n, 1 + (count.get(t.left[n]) ?? 0) + (count.get(t.left[n] + 1) ?? 0));
  }
  return count;
}
