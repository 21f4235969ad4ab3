import { compileWat } from '../models/tree/compile-wat.js';

/** Rows explained together by one kernel call; a per-row array of the kernel is CHUNK i32s, 256 bytes. */
export const CHUNK = 64;

/** Rows a step of the additions: each feature's offset loaded once for all (same-process A/B on the depth-6 XGBoost model: 1, 2, 4, 8 rows 6.8, 5.9, 5.4, ~5.9 us a row). */
const ADD_ROWS = 4;
const ADD = Array.from({ length: ADD_ROWS }, (_, i) => i);

/**
 * WebAssembly text of FastTreeShap's walk and block additions for a chunk of rows.
 *
 * run(treeWalk, treeProg, masks, keys, phi, rowBytes, from, to, n): for trees [from, to) and rows
 * [0, n), n <= CHUNK. Per row arrays hold CHUNK i32s (row r at + 4r): a condition's outcome
 * (-1: the row goes left, 0: right), the mask reaching a slot, a block's key per row.
 * Per tree t, its walked splits are the 16-byte records [treeWalk[t], treeWalk[t + 1]) (byte
 * addresses, i32 at treeWalk + 4t): {outcome array, mask array of the split, mask array of its
 * left child (the right child's follows, + 256), bit of its feature}; the taken child keeps the
 * bit, the other loses it. Its blocks are records [treeProg[t], treeProg[t + 1]): {mask array,
 * mask of the features above, tests, table row bytes (8 width), table address}, then per test
 * {outcome array, key bit}, then per feature its byte offset in a row of phi (8 f). A row's key is
 * its mask's bits above plus the key bit of each test it goes left at; the `width` numbers at
 * table + key * 8 width are added to its features in phi + r * rowBytes (width > 0).
 * Masks and keys are computed four rows at a time (SIMD) up to n rounded up to 4 (the arrays are
 * CHUNK long, the extra lanes unused); the additions, one per row and feature, are scalar, ADD_ROWS
 * rows a step, then one at a time.
 * Addresses are byte offsets into the imported memory.
 */
export const BLOCK_WALK_WAT = `(module
  (import "env" "mem" (memory 1))
  (func (export "run") (param $treeWalk i32) (param $treeProg i32) (param $masks i32) (param $keys i32) (param $phi i32)
      (param $rowBytes i32) (param $from i32) (param $to i32) (param $n i32)
    (local $t i32) (local $k i32) (local $end i32) (local $r i32) (local $lanes i32)
    (local $o i32) (local $m i32) (local $l i32) (local $bit v128) (local $mv v128) (local $cold v128) (local $hot v128) (local $g v128)
    (local $tests i32) (local $w8 i32) (local $table i32) (local $f i32) (local $fEnd i32) (local $at i32) (local $po i32) (local $a i32) (local $fo i32) ${ADD.map((i) => `(local $at${i} i32) (local $po${i} i32)`).join(' ')}
    ;; Bytes of a per-row array in use: n rounded up to 4 rows.
    (local.set $lanes (i32.shl (i32.and (i32.add (local.get $n) (i32.const 3)) (i32.const -4)) (i32.const 2)))
    (local.set $t (local.get $from))
    (block $trees_done (loop $trees
      (br_if $trees_done (i32.ge_u (local.get $t) (local.get $to)))
      ;; The root: every feature still satisfied.
      (local.set $r (i32.const 0))
      (loop $root
        (v128.store (i32.add (local.get $masks) (local.get $r)) (v128.const i32x4 -1 -1 -1 -1))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (br_if $root (i32.lt_u (local.get $r) (local.get $lanes))))
      ;; Walked splits, parents first.
      (local.set $k (i32.load (i32.add (local.get $treeWalk) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $end (i32.load offset=4 (i32.add (local.get $treeWalk) (i32.shl (local.get $t) (i32.const 2)))))
      (block $walk_done (loop $walk
        (br_if $walk_done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $o (i32.load (local.get $k)))
        (local.set $m (i32.load offset=4 (local.get $k)))
        (local.set $l (i32.load offset=8 (local.get $k)))
        (local.set $bit (i32x4.splat (i32.load offset=12 (local.get $k))))
        (local.set $r (i32.const 0))
        (loop $rows
          (local.set $mv (v128.load (i32.add (local.get $m) (local.get $r))))
          (local.set $g (v128.load (i32.add (local.get $o) (local.get $r))))
          (local.set $cold (v128.andnot (local.get $mv) (local.get $bit)))
          (local.set $hot (v128.and (local.get $mv) (local.get $bit)))
          (v128.store (i32.add (local.get $l) (local.get $r)) (v128.or (local.get $cold) (v128.and (local.get $hot) (local.get $g))))
          (v128.store offset=256 (i32.add (local.get $l) (local.get $r)) (v128.or (local.get $cold) (v128.andnot (local.get $hot) (local.get $g))))
          (local.set $r (i32.add (local.get $r) (i32.const 16)))
          (br_if $rows (i32.lt_u (local.get $r) (local.get $lanes))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $walk)))
      ;; Blocks.
      (local.set $k (i32.load (i32.add (local.get $treeProg) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $end (i32.load offset=4 (i32.add (local.get $treeProg) (i32.shl (local.get $t) (i32.const 2)))))
      (block $blocks_done (loop $blocks
        (br_if $blocks_done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $m (i32.load (local.get $k)))
        (local.set $bit (i32x4.splat (i32.load offset=4 (local.get $k))))
        (local.set $tests (i32.load offset=8 (local.get $k)))
        (local.set $w8 (i32.load offset=12 (local.get $k)))
        (local.set $table (i32.load offset=16 (local.get $k)))
        (local.set $k (i32.add (local.get $k) (i32.const 20)))
        (local.set $r (i32.const 0))
        (loop $above
          (v128.store (i32.add (local.get $keys) (local.get $r)) (v128.and (v128.load (i32.add (local.get $m) (local.get $r))) (local.get $bit)))
          (local.set $r (i32.add (local.get $r) (i32.const 16)))
          (br_if $above (i32.lt_u (local.get $r) (local.get $lanes))))
        (block $tests_done (loop $each_test
          (br_if $tests_done (i32.eqz (local.get $tests)))
          (local.set $o (i32.load (local.get $k)))
          (local.set $bit (i32x4.splat (i32.load offset=4 (local.get $k))))
          (local.set $r (i32.const 0))
          (loop $key_rows
            (v128.store (i32.add (local.get $keys) (local.get $r))
              (v128.or (v128.load (i32.add (local.get $keys) (local.get $r))) (v128.and (v128.load (i32.add (local.get $o) (local.get $r))) (local.get $bit))))
            (local.set $r (i32.add (local.get $r) (i32.const 16)))
            (br_if $key_rows (i32.lt_u (local.get $r) (local.get $lanes))))
          (local.set $k (i32.add (local.get $k) (i32.const 8)))
          (local.set $tests (i32.sub (local.get $tests) (i32.const 1)))
          (br $each_test)))
        ;; Per row: the table row of its key added to its features (offsets at k, w8 / 2 bytes of them).
        (local.set $fEnd (i32.add (local.get $k) (i32.shr_u (local.get $w8) (i32.const 1))))
        (local.set $r (i32.const 0))
        (local.set $po0 (local.get $phi))
        ;; ${ADD_ROWS} rows a step: one load of each feature's offset for all of them.
        (block $steps_done (loop $add_steps
          (br_if $steps_done (i32.gt_u (i32.add (local.get $r) (i32.const ${ADD_ROWS})) (local.get $n)))
          ${ADD.map((i) => `(local.set $at${i} (i32.add (local.get $table) (i32.mul (i32.load offset=${4 * i} (i32.add (local.get $keys) (i32.shl (local.get $r) (i32.const 2)))) (local.get $w8))))`).join('\n          ')}
          ${ADD.slice(1).map((i) => `(local.set $po${i} (i32.add (local.get $po${i - 1}) (local.get $rowBytes)))`).join(' ')}
          (local.set $f (local.get $k))
          (loop $adds_step
            (local.set $fo (i32.load (local.get $f)))
            ${ADD.map((i) => `(local.set $a (i32.add (local.get $po${i}) (local.get $fo))) (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.load (local.get $at${i}))))`).join('\n            ')}
            ${ADD.map((i) => `(local.set $at${i} (i32.add (local.get $at${i}) (i32.const 8)))`).join(' ')}
            (local.set $f (i32.add (local.get $f) (i32.const 4)))
            (br_if $adds_step (i32.lt_u (local.get $f) (local.get $fEnd))))
          (local.set $po0 (i32.add (local.get $po${ADD_ROWS - 1}) (local.get $rowBytes)))
          (local.set $r (i32.add (local.get $r) (i32.const ${ADD_ROWS})))
          (br $add_steps)))
        (local.set $po (local.get $po0))
        (block $adds_done (loop $add_rows
          (br_if $adds_done (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $at (i32.add (local.get $table) (i32.mul (i32.load (i32.add (local.get $keys) (i32.shl (local.get $r) (i32.const 2)))) (local.get $w8))))
          (local.set $f (local.get $k))
          (loop $adds
            (local.set $a (i32.add (local.get $po) (i32.load (local.get $f))))
            (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (f64.load (local.get $at))))
            (local.set $at (i32.add (local.get $at) (i32.const 8)))
            (local.set $f (i32.add (local.get $f) (i32.const 4)))
            (br_if $adds (i32.lt_u (local.get $f) (local.get $fEnd))))
          (local.set $po (i32.add (local.get $po) (local.get $rowBytes)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $add_rows)))
        (local.set $k (local.get $fEnd))
        (br $blocks)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $trees)))))`;

export type BlockWalkFn = (treeWalk: number, treeProg: number, masks: number, keys: number, phi: number, rowBytes: number, from: number, to: number, n: number) => void;

/** Compiled once when this module loads; null where WebAssembly cannot be built (the JavaScript walk runs then). */
export const blockWalkModule: WebAssembly.Module | null = await compileWat('block-walk.wat', BLOCK_WALK_WAT, { simd: true });
