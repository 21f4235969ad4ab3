import { compileWat } from './compile-wat.js';

/**
 * WebAssembly text of the histogram build of gradient boosting, the hot loop of a fit.
 *
 * hist{2,3}_{16,32}(rows, start, end, slots, cols, gh, w, hist) -> f64: for each row r = rows[i],
 * i in [start, end), adds gh[2r] and gh[2r + 1] (and w[r] when the stride is 3) into the bin
 * slot slots[r * cols + f] of every feature f (slot = the feature's offset + its bin; u16 or u32
 * slots), bins being `stride` float64s wide from `hist`; returns the rows' weight sum.
 * Pointers are byte offsets into the imported memory. Measured against the same loop in
 * JavaScript: no bounds checks and constant-offset loads make it about twice as fast.
 */
function histFunc(stride: 2 | 3, slotBits: 16 | 32): string {
  const slotBytes = slotBits / 8;
  const loadSlot = slotBits === 16 ? 'i32.load16_u' : 'i32.load';
  const binBytes = 8 * stride;
  const count =
    stride === 3
      ? `(f64.store offset=16 (local.get $a) (f64.add (f64.load offset=16 (local.get $a)) (local.get $wr)))`
      : '';
  return `(func (export "hist${stride}_${slotBits}") (param $rows i32) (param $start i32) (param $end i32) (param $slots i32)
      (param $cols i32) (param $gh i32) (param $w i32) (param $hist i32) (result f64)
    (local $i i32) (local $r i32) (local $k i32) (local $last i32) (local $a i32)
    (local $gr f64) (local $hr f64) (local $wr f64) (local $total f64)
    (local.set $i (local.get $start))
    (block $rows_done (loop $each_row
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $r (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $gr (f64.load (i32.add (local.get $gh) (i32.shl (local.get $r) (i32.const 4)))))
      (local.set $hr (f64.load offset=8 (i32.add (local.get $gh) (i32.shl (local.get $r) (i32.const 4)))))
      (local.set $wr (f64.load (i32.add (local.get $w) (i32.shl (local.get $r) (i32.const 3)))))
      (local.set $total (f64.add (local.get $total) (local.get $wr)))
      (local.set $k (i32.add (local.get $slots) (i32.mul (i32.mul (local.get $r) (local.get $cols)) (i32.const ${slotBytes}))))
      (local.set $last (i32.add (local.get $k) (i32.mul (local.get $cols) (i32.const ${slotBytes}))))
      (block $feats_done (loop $each_feat
        (br_if $feats_done (i32.ge_u (local.get $k) (local.get $last)))
        (local.set $a (i32.add (local.get $hist) (i32.mul (${loadSlot} (local.get $k)) (i32.const ${binBytes}))))
        (f64.store (local.get $a) (f64.add (f64.load (local.get $a)) (local.get $gr)))
        (f64.store offset=8 (local.get $a) (f64.add (f64.load offset=8 (local.get $a)) (local.get $hr)))
        ${count}
        (local.set $k (i32.add (local.get $k) (i32.const ${slotBytes})))
        (br $each_feat)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each_row)))
    (local.get $total))`;
}

/**
 * histv_{16,32}(rows, start, end, slots, cols, vec, vecBytes, hist, f0, f1): the same build for
 * multi-output trees over features [f0, f1), where each row carries a vector of `vecBytes / 8`
 * float64s (K gradient and hessian pairs, then its weight and a pad) added into a bin as wide,
 * two lanes at a time (SIMD). Callers pass feature groups whose bins fit in cache: with K = 10 a
 * whole histogram is 1.8 MB and row-wise updates over all of it miss the L2 cache.
 */
function histVecFunc(slotBits: 16 | 32): string {
  const slotBytes = slotBits / 8;
  const loadSlot = slotBits === 16 ? 'i32.load16_u' : 'i32.load';
  return `(func (export "histv_${slotBits}") (param $rows i32) (param $start i32) (param $end i32) (param $slots i32)
      (param $cols i32) (param $vec i32) (param $vb i32) (param $hist i32) (param $f0 i32) (param $f1 i32)
    (local $i i32) (local $r i32) (local $k i32) (local $last i32) (local $a i32) (local $src i32) (local $j i32)
    (local.set $i (local.get $start))
    (block $rows_done (loop $each_row
      (br_if $rows_done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $r (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $src (i32.add (local.get $vec) (i32.mul (local.get $r) (local.get $vb))))
      (local.set $k (i32.add (local.get $slots) (i32.mul (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $f0)) (i32.const ${slotBytes}))))
      (local.set $last (i32.add (local.get $k) (i32.mul (i32.sub (local.get $f1) (local.get $f0)) (i32.const ${slotBytes}))))
      (block $feats_done (loop $each_feat
        (br_if $feats_done (i32.ge_u (local.get $k) (local.get $last)))
        (local.set $a (i32.add (local.get $hist) (i32.mul (${loadSlot} (local.get $k)) (local.get $vb))))
        (local.set $j (i32.const 0))
        (loop $each_lane
          (v128.store (i32.add (local.get $a) (local.get $j))
            (f64x2.add (v128.load (i32.add (local.get $a) (local.get $j))) (v128.load (i32.add (local.get $src) (local.get $j)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $each_lane (i32.lt_u (local.get $j) (local.get $vb))))
        (local.set $k (i32.add (local.get $k) (i32.const ${slotBytes})))
        (br $each_feat)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each_row))))`;
}

function histWat(): string {
  return `(module
  (import "env" "mem" (memory 1))
  ${histFunc(2, 16)}
  ${histFunc(2, 32)}
  ${histFunc(3, 16)}
  ${histFunc(3, 32)}
  ${histVecFunc(16)}
  ${histVecFunc(32)}
)`;
}

export type HistVecFn = (rows: number, start: number, end: number, slots: number, cols: number, vec: number, vecBytes: number, hist: number, f0: number, f1: number) => void;

export type HistFn = (rows: number, start: number, end: number, slots: number, cols: number, gh: number, w: number, hist: number) => number;

/** Compiled once when this module loads; null where WebAssembly cannot be built (the JavaScript build runs then). */
export const histModule: WebAssembly.Module | null = await compileWat('hist.wat', histWat(), { simd: true });
