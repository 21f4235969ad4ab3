import { compileWat } from '../models/tree/compile-wat.js';

/** Bytes of a split record (see LINEAR_WALK_WAT). */
export const SPLIT_BYTES = 96;
/** Bytes of a tree record. */
export const TREE_BYTES = 32;

/** Trees of up to 2 UNROLLED Gauss-Legendre nodes get a function with the steps over them unrolled (static offsets, no loop). */
const UNROLLED = 8;
/** 0: the looping function, then one per count of f64x2 steps. */
const UNROLL = Array.from({ length: UNROLLED + 1 }, (_, i) => i);

/**
 * A pass over a vector, f64x2 a step: `lanes` steps unrolled (at(ptr) is a static offset from it), or
 * with lanes 0 a loop over $m to $stride. `body(at)` is one step; at(ptr) gives `offset=.. address`.
 */
function vec(label: string, lanes: number, body: (at: (ptr: string) => string) => string): string {
  if (lanes) return Array.from({ length: lanes }, (_, i) => body((ptr) => `offset=${16 * i} (local.get $${ptr})`)).join('\n');
  return `(local.set $m (i32.const 0))
    (loop $${label}
      ${body((ptr) => `(i32.add (local.get $${ptr}) (local.get $m))`)}
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (br_if $${label} (i32.lt_u (local.get $m) (local.get $stride))))`;
}

/**
 * Takes the claimed splits' terms (their leaves were counted deeper) off one child's sum: the claims
 * listed at record offsets 56..60 (left child) or 64..68 (right), times that child's factors.
 */
function unclaim(side: 'l' | 'r', lanes: number): string {
  const [from, f, sum] = side === 'l' ? [56, 'fl', 'sumL'] : [64, 'fr', 'sumR'];
  return `(local.set $a (i32.load offset=${from} (local.get $k)))
      (local.set $aEnd (i32.load offset=${from + 4} (local.get $k)))
      (block $claims_${side}_done (loop $claims_${side}
        (br_if $claims_${side}_done (i32.ge_u (local.get $a) (local.get $aEnd)))
        (local.set $pc (i32.add (local.get $buf) (i32.load (local.get $a))))
        ${vec(`claim_${side}_m`, lanes, (at) => `(local.set $${sum} (f64x2.sub (local.get $${sum}) (f64x2.mul (v128.load ${at(f)}) (v128.load ${at('pc')}))))`)}
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br $claims_${side})))`;
}

/** One tree for one row (see LINEAR_WALK_WAT), for vectors of `lanes` f64x2 steps (0: any, looping). */
function treeWat(lanes: number): string {
  return `  (func $tree_${lanes || 'any'} (type $tree) (param $s i32) (param $end i32) (param $stride i32) (param $q i32)
      (param $x i32) (param $phi i32) (param $buf i32) (param $hot i32)
    (local $k i32) (local $m i32) (local $v f64) (local $cat i32) (local $go i32) (local $idx i32) (local $rank f64)
    (local $l i32) (local $r i32) (local $b i32) (local $colder i32) (local $ch i32) (local $hl i32) (local $hr i32)
    (local $pk i32) (local $pl i32) (local $pr i32) (local $fl i32) (local $fr i32) (local $a i32) (local $aEnd i32) (local $pc i32)
    (local $p v128) (local $sl v128) (local $sr v128) (local $sumL v128) (local $sumR v128) (local $at i32) (local $atB i32)
    ;; The root's path product: 1.
    ${vec('root', lanes, (at) => `(v128.store ${at('buf')} (v128.const f64x2 1 1))`)}
    ;; Down: parents first, each split sets its children's o and path products.
    (local.set $k (local.get $s))
    (block $down_done (loop $down
      (br_if $down_done (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $v (f64.load (i32.add (local.get $x) (i32.load offset=24 (local.get $k)))))
      (local.set $cat (i32.load offset=28 (local.get $k)))
      (if (i32.lt_s (local.get $cat) (i32.const 0))
        (then (local.set $go (i32.or (f64.le (local.get $v) (f64.load (local.get $k)))
          (i32.and (f64.ne (local.get $v) (local.get $v)) (i32.load offset=36 (local.get $k))))))
        (else
          ;; Code ranks as PackedTrees.goesLeft: 0 unknown (NaN, below -1), 1 missing, 2 + code, codes + 2 unknown.
          (if (i32.eqz (f64.ge (local.get $v) (f64.const -1.5)))
            (then (local.set $idx (i32.const 0)))
            (else (if (f64.lt (local.get $v) (f64.const -0.5))
              (then (local.set $idx (i32.const 1)))
              (else (if (f64.ge (local.get $v) (f64.sub (f64.convert_i32_s (i32.load offset=32 (local.get $k))) (f64.const 0.5)))
                (then (local.set $idx (i32.add (i32.load offset=32 (local.get $k)) (i32.const 2))))
                (else
                  ;; Math.round: halves go up.
                  (local.set $rank (f64.floor (local.get $v)))
                  (if (f64.ge (f64.sub (local.get $v) (local.get $rank)) (f64.const 0.5))
                    (then (local.set $rank (f64.add (local.get $rank) (f64.const 1)))))
                  (local.set $idx (i32.add (i32.trunc_f64_s (local.get $rank)) (i32.const 2)))))))))
          (local.set $go (i32.load8_u (i32.add (local.get $cat) (local.get $idx))))))
      (local.set $l (i32.load offset=40 (local.get $k)))
      (local.set $r (i32.load offset=44 (local.get $k)))
      (local.set $b (i32.load offset=48 (local.get $k)))
      (local.set $colder (if (result i32) (i32.ge_s (local.get $b) (i32.const 0))
        (then (i32.eqz (i32.load8_u (i32.add (local.get $hot) (local.get $b)))))
        (else (i32.const 0))))
      (block $next
        (if (i32.ge_s (i32.load offset=52 (local.get $k)) (i32.const 0))
          (then
            ;; Two leaves: their S is made from P here in the up pass.
            (i32.store8 (i32.add (local.get $hot) (local.get $l)) (i32.and (local.get $go) (i32.eqz (local.get $colder))))
            (i32.store8 (i32.add (local.get $hot) (local.get $r)) (i32.eqz (i32.or (local.get $go) (local.get $colder))))
            (br $next)))
        (local.set $pk (i32.add (local.get $buf) (i32.load offset=72 (local.get $k))))
        (local.set $pl (i32.add (local.get $buf) (i32.load offset=76 (local.get $k))))
        (local.set $pr (i32.add (local.get $buf) (i32.load offset=80 (local.get $k))))
        (if (local.get $colder)
          (then
            ;; Cold above already: both factors only shrink by their cover ratios.
            (i32.store8 (i32.add (local.get $hot) (local.get $l)) (i32.const 0))
            (i32.store8 (i32.add (local.get $hot) (local.get $r)) (i32.const 0))
            (local.set $sl (f64x2.splat (f64.load offset=8 (local.get $k))))
            (local.set $sr (f64x2.splat (f64.load offset=16 (local.get $k))))
            ${vec('colder_m', lanes, (at) => `(local.set $p (v128.load ${at('pk')}))
              (v128.store ${at('pl')} (f64x2.mul (local.get $p) (local.get $sl)))
              (v128.store ${at('pr')} (f64x2.mul (local.get $p) (local.get $sr)))`)}
            (br $next)))
        (i32.store8 (i32.add (local.get $hot) (local.get $l)) (local.get $go))
        (i32.store8 (i32.add (local.get $hot) (local.get $r)) (i32.eqz (local.get $go)))
        (local.set $fl (i32.add (i32.load offset=84 (local.get $k)) (select (i32.const 0) (local.get $stride) (local.get $go))))
        (local.set $fr (i32.add (i32.load offset=88 (local.get $k)) (select (local.get $stride) (i32.const 0) (local.get $go))))
        ${vec('down_m', lanes, (at) => `(local.set $p (v128.load ${at('pk')}))
          (v128.store ${at('pl')} (f64x2.mul (local.get $p) (v128.load ${at('fl')})))
          (v128.store ${at('pr')} (f64x2.mul (local.get $p) (v128.load ${at('fr')})))`)})
      (local.set $k (i32.add (local.get $k) (i32.const ${SPLIT_BYTES})))
      (br $down)))
    ;; Up: children before parents; a split's S replaces its P once its children are counted.
    (local.set $k (local.get $end))
    (block $up_done (loop $up
      (br_if $up_done (i32.le_u (local.get $k) (local.get $s)))
      (local.set $k (i32.sub (local.get $k) (i32.const ${SPLIT_BYTES})))
      (local.set $hl (i32.load8_u (i32.add (local.get $hot) (i32.load offset=40 (local.get $k)))))
      (local.set $hr (i32.load8_u (i32.add (local.get $hot) (i32.load offset=44 (local.get $k)))))
      (local.set $pk (i32.add (local.get $buf) (i32.load offset=72 (local.get $k))))
      (local.set $ch (i32.load offset=52 (local.get $k)))
      (local.set $sumL (v128.const f64x2 0 0))
      (if (i32.ge_s (local.get $ch) (i32.const 0))
        (then
          ;; Two leaves: S = P A and their contribution sum B P, A and B by case (left hot, right hot, both colder).
          (local.set $at (i32.add (local.get $ch)
            (select (i32.const 0) (select (i32.shl (local.get $stride) (i32.const 1)) (i32.shl (local.get $stride) (i32.const 2)) (local.get $hr)) (local.get $hl))))
          (local.set $atB (i32.add (local.get $at) (local.get $stride)))
          ${vec('cherry_m', lanes, (at) => `(local.set $p (v128.load ${at('pk')}))
            (v128.store ${at('pk')} (f64x2.mul (local.get $p) (v128.load ${at('at')})))
            (local.set $sumL (f64x2.add (local.get $sumL) (f64x2.mul (v128.load ${at('atB')}) (local.get $p))))`)}
          (local.set $a (i32.add (local.get $phi) (i32.load offset=24 (local.get $k))))
          (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
            (f64.add (f64x2.extract_lane 0 (local.get $sumL)) (f64x2.extract_lane 1 (local.get $sumL)))))
          (br $up)))
      (local.set $pl (i32.add (local.get $buf) (i32.load offset=76 (local.get $k))))
      (local.set $pr (i32.add (local.get $buf) (i32.load offset=80 (local.get $k))))
      ;; A hot child: (1 - z) sum w U / f(z, 1); a cold one: -sum w U / (1 - t).
      (local.set $fl (select (i32.add (i32.load offset=84 (local.get $k)) (i32.shl (local.get $stride) (i32.const 1))) (local.get $q) (local.get $hl)))
      (local.set $fr (select (i32.add (i32.load offset=88 (local.get $k)) (i32.shl (local.get $stride) (i32.const 1))) (local.get $q) (local.get $hr)))
      (local.set $sumR (v128.const f64x2 0 0))
      ${vec('up_m', lanes, (at) => `(local.set $sl (v128.load ${at('pl')}))
        (local.set $sr (v128.load ${at('pr')}))
        (v128.store ${at('pk')} (f64x2.add (local.get $sl) (local.get $sr)))
        (local.set $sumL (f64x2.add (local.get $sumL) (f64x2.mul (v128.load ${at('fl')}) (local.get $sl))))
        (local.set $sumR (f64x2.add (local.get $sumR) (f64x2.mul (v128.load ${at('fr')}) (local.get $sr))))`)}
      ;; Leaves whose last split on the feature lies deeper were counted there.
      ${unclaim('l', lanes)}
      ${unclaim('r', lanes)}
      (local.set $p (f64x2.add
        (select (local.get $sumL) (f64x2.neg (local.get $sumL)) (local.get $hl))
        (select (local.get $sumR) (f64x2.neg (local.get $sumR)) (local.get $hr))))
      (local.set $a (i32.add (local.get $phi) (i32.load offset=24 (local.get $k))))
      (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
        (f64.add (f64x2.extract_lane 0 (local.get $p)) (f64x2.extract_lane 1 (local.get $p)))))
      (br $up))))`;
}

/**
 * WebAssembly text of LinearTreeShap's down and up passes (linear-tree-shap.ts), one tree and row at
 * a time, f64x2 over the Gauss-Legendre nodes: a tree's vectors are `stride` bytes, n numbers padded
 * to an even count with zeros (factors and weights), so the padded lane stays 0 and adds nothing.
 *
 * run(trees, from, to, rows, x, rowBytes, phi, buf, hot): for trees [from, to), each for rows
 * [0, rows) (a tree's arrays stay in cache), row r's values at x + r rowBytes (f64 per column) and
 * its contributions added at phi + r rowBytes. Tree record t at trees + 32 t: {first split record,
 * end, stride, its cold weights w / (1 - t)}. Split records (96 bytes, preorder): {f64 threshold, f64
 * left and right child's downColder, i32 feature byte offset, category flags address or -1, codes,
 * NaN goes left, left and right child (local), before of the left child (local, or -1), cherry
 * address or -1, left child's claims [start, end) and right's (addresses of byte offsets into buf),
 * byte offsets of the node's, left and right child's P and S in buf, addresses of the left and right
 * child's factors (downHot, downCold, upHot, stride bytes each; only children of splits that are
 * not cherries have them)}. buf: per local node P then S (stride bytes);
 * hot: a byte per local node. Addresses are byte offsets into the imported memory. A tree runs in
 * the function for its stride (call_indirect): unrolled up to UNROLLED steps, else looping.
 */
export const LINEAR_WALK_WAT = `(module
  (import "env" "mem" (memory 1))
  (type $tree (func (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (table ${UNROLLED + 1} funcref)
  (elem (i32.const 0) ${UNROLL.map((lanes) => `$tree_${lanes || 'any'}`).join(' ')})
${UNROLL.map(treeWat).join('\n')}
  (func (export "run") (param $trees i32) (param $from i32) (param $to i32) (param $rows i32) (param $x i32) (param $rowBytes i32)
      (param $phi i32) (param $buf i32) (param $hot i32)
    (local $t i32) (local $row i32) (local $end i32) (local $stride i32) (local $fn i32)
    (local.set $t (i32.add (local.get $trees) (i32.mul (local.get $from) (i32.const ${TREE_BYTES}))))
    (local.set $end (i32.add (local.get $trees) (i32.mul (local.get $to) (i32.const ${TREE_BYTES}))))
    (block $trees_done (loop $each_tree
      (br_if $trees_done (i32.ge_u (local.get $t) (local.get $end)))
      (local.set $stride (i32.load offset=8 (local.get $t)))
      ;; The tree's unrolled function (stride / 16 f64x2 steps), or the looping one past UNROLLED.
      (local.set $fn (i32.shr_u (local.get $stride) (i32.const 4)))
      (if (i32.gt_u (local.get $fn) (i32.const ${UNROLLED})) (then (local.set $fn (i32.const 0))))
      (local.set $row (i32.const 0))
      (block $rows_done (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        (call_indirect (type $tree) (i32.load (local.get $t)) (i32.load offset=4 (local.get $t)) (local.get $stride)
          (i32.load offset=12 (local.get $t))
          (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $rowBytes)))
          (i32.add (local.get $phi) (i32.mul (local.get $row) (local.get $rowBytes))) (local.get $buf) (local.get $hot)
          (local.get $fn))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $each_row)))
      (local.set $t (i32.add (local.get $t) (i32.const ${TREE_BYTES})))
      (br $each_tree)))))`;

export type LinearWalkFn = (trees: number, from: number, to: number, rows: number, x: number, rowBytes: number, phi: number, buf: number, hot: number) => void;

/** Compiled once when this module loads; null where WebAssembly cannot be built (LinearTreeShap runs in JavaScript then). */
export const linearWalkModule: WebAssembly.Module | null = await compileWat('linear-walk.wat', LINEAR_WALK_WAT, { simd: true });
