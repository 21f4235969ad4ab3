/**
 * WebAssembly text of the scoring kernels.
 *
 * walk(nodes, val, roots, outCols, from, to, width, x, rows, cols, out, outDim) adds, for trees
 * [from, to), each row's leaf values into out[row * outDim + outCols[tree] + k], k < width.
 * A node is a 16-byte record {left child's address, threshold rank, feature * 4, unused} and is
 * named by its own address, so a step is three loads with constant offsets and branch-free
 * arithmetic: `node = left + (((thresholdRank - rank) >> 31) & 16)` (the right child follows the
 * left). Leaves point to themselves and never go right. Four rows walk each tree together (four
 * independent load chains in flight); the loop ends when all four sit on leaves. A leaf's values
 * are at val + (node index * width) * 8, node index = (address - nodes) / 16.
 *
 * rank(xf, rows, cols, fcols, cuts, cutOff, cutLen, x) turns a float32 block into int32 ranks: for
 * each value, how many of its feature's sorted thresholds (float64) lie below it, by a branch-free
 * binary search. Features at or past `fcols` have no thresholds and rank 0; NaN ranks 0.
 *
 * masks(x, rows, cols, fcols, cutOff, m) turns rows of ranks into one int64 per row, for forests
 * with at most 63 thresholds in all: bit (cutOff[f] + k) is set when feature f's rank is above k,
 * i.e. when its value lies above the feature's k-th threshold. walkbits(nodes, val, roots, outCols,
 * from, to, width, m, rows, out, outDim) walks like walk, testing one bit of the row's mask per step
 * (bit index in the node record's last word; 63, never set, for leaves): one dependent load less
 * per level.
 *
 * walkcat(...same as walk) also walks forests with categorical nodes: a node's last word is the
 * address of its flag bytes (0 for a numeric node); a categorical node goes left when the flag at
 * the row's rank is 1 (categorical features get cuts that rank every code apart, see forest.ts).
 * Both tests are computed and `select` picks one, so the step stays branch-free.
 *
 * Pointers are byte offsets into the imported memory; x and xf are row-major.
 */
const LANES = [0, 1, 2, 3];

const get = (name: string) => `(local.get $${name})`;
const i32At = (base: string, index: string, shift = 2) => `(i32.load (i32.add ${get(base)} (i32.shl ${index} (i32.const ${shift}))))`;
const orAll = (xs: string[]): string => (xs.length === 1 ? xs[0] : `(i32.or ${orAll(xs.slice(0, xs.length >> 1))} ${orAll(xs.slice(xs.length >> 1))})`);

const bitStep = (i: number) =>
  `(local.set $n${i} (i32.add ${get(`l${i}`)} (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u ${get(`m${i}`)} (i64.extend_i32_u (i32.load offset=12 ${get(`n${i}`)}))) (i64.const 1))) (i32.const 4))))`;

/** A step of walkcat: the numeric test, or (flag address in word 3) the negated flag at the rank. */
const catStep = (i: number) =>
  `(local.set $q${i} (i32.load (i32.add ${get(`b${i}`)} (i32.load offset=8 ${get(`n${i}`)}))))
          (local.set $c${i} (i32.load offset=12 ${get(`n${i}`)}))
          (local.set $n${i} (i32.add ${get(`l${i}`)} (select
            (i32.shl (i32.xor (i32.load8_u (i32.add ${get(`c${i}`)} ${get(`q${i}`)})) (i32.const 1)) (i32.const 4))
            (i32.and (i32.shr_s (i32.sub (i32.load offset=4 ${get(`n${i}`)}) ${get(`q${i}`)}) (i32.const 31)) (i32.const 16))
            ${get(`c${i}`)})))`;

const step = (i: number) =>
  `(local.set $n${i} (i32.add ${get(`l${i}`)} (i32.and (i32.shr_s (i32.sub (i32.load offset=4 ${get(`n${i}`)}) (i32.load (i32.add ${get(`b${i}`)} (i32.load offset=8 ${get(`n${i}`)})))) (i32.const 31)) (i32.const 16))))`;

const addLeaf = (lane: number, label: string) => `
        (local.set $o (i32.add ${get('out')} (i32.shl (i32.add (i32.mul (i32.add ${get('r')} (i32.const ${lane})) ${get('outDim')}) ${get('col')}) (i32.const 3))))
        (if (i32.eq ${get('width')} (i32.const 1))
          (then (f64.store ${get('o')} (f64.add (f64.load ${get('o')}) (f64.load (i32.add ${get('val')} (i32.shr_u (i32.sub ${get(`n${lane}`)} ${get('nodes')}) (i32.const 1)))))))
          (else
            (local.set $v (i32.add ${get('val')} (i32.shl (i32.mul (i32.shr_u (i32.sub ${get(`n${lane}`)} ${get('nodes')}) (i32.const 4)) ${get('width')}) (i32.const 3))))
            (local.set $k (i32.const 0))
            (block $${label}_done (loop $${label}
              (br_if $${label}_done (i32.ge_u ${get('k')} ${get('width')}))
              (f64.store ${get('o')} (f64.add (f64.load ${get('o')}) (f64.load ${get('v')})))
              (local.set $o (i32.add ${get('o')} (i32.const 8)))
              (local.set $v (i32.add ${get('v')} (i32.const 8)))
              (local.set $k (i32.add ${get('k')} (i32.const 1)))
              (br $${label})))))`;

const RANK = `(func (export "rank") (param $xf i32) (param $rows i32) (param $cols i32) (param $fcols i32)
        (param $cuts i32) (param $cutOff i32) (param $cutLen i32) (param $x i32)
    (local $i i32) (local $n i32) (local $f i32) (local $v f64) (local $c i32) (local $m i32) (local $half i32) (local $base i32)
    (local.set $n (i32.mul ${get('rows')} ${get('cols')}))
    (block $done (loop $each
      (br_if $done (i32.ge_u ${get('i')} ${get('n')}))
      (local.set $base (i32.const 0))
      (if (i32.lt_u ${get('f')} ${get('fcols')}) (then
        (local.set $v (f64.promote_f32 (f32.load (i32.add ${get('xf')} (i32.shl ${get('i')} (i32.const 2))))))
        (local.set $c (i32.add ${get('cuts')} (i32.shl ${i32At('cutOff', get('f'))} (i32.const 3))))
        (local.set $m ${i32At('cutLen', get('f'))})
        (if (i32.gt_s ${get('m')} (i32.const 0)) (then
          (block $found (loop $halve
            (br_if $found (i32.le_s ${get('m')} (i32.const 1)))
            (local.set $half (i32.shr_u ${get('m')} (i32.const 1)))
            (local.set $base (select (i32.add ${get('base')} ${get('half')}) ${get('base')}
              (f64.lt (f64.load (i32.add ${get('c')} (i32.shl (i32.add ${get('base')} ${get('half')}) (i32.const 3)))) ${get('v')})))
            (local.set $m (i32.sub ${get('m')} ${get('half')}))
            (br $halve)))
          (local.set $base (i32.add ${get('base')} (f64.lt (f64.load (i32.add ${get('c')} (i32.shl ${get('base')} (i32.const 3)))) ${get('v')})))))))
      (i32.store (i32.add ${get('x')} (i32.shl ${get('i')} (i32.const 2))) ${get('base')})
      (local.set $i (i32.add ${get('i')} (i32.const 1)))
      (local.set $f (i32.add ${get('f')} (i32.const 1)))
      (if (i32.eq ${get('f')} ${get('cols')}) (then (local.set $f (i32.const 0))))
      (br $each)))
  )`;

/** The walk kernel over ranks (`walk`), over per-row threshold bit masks (`walkbits`) or over ranks with categorical nodes (`walkcat`). */
const walkFunc = (name: string, mode: 'ranks' | 'bits' | 'cat') => {
  const bits = mode === 'bits';
  const stepOf = bits ? bitStep : mode === 'cat' ? catStep : step;
  return `  (func (export "${name}") (param $nodes i32) (param $val i32) (param $roots i32) (param $outCols i32)
        (param $from i32) (param $to i32) (param $width i32) (param $x i32) (param $rows i32) (param $cols i32) (param $out i32) (param $outDim i32)
    (local $t i32) (local $r i32) (local $root i32) (local $col i32) (local $full i32) (local $rowBytes i32) (local $o i32) (local $v i32) (local $k i32)
    ${LANES.map((i) => `(local $n${i} i32) (local $l${i} i32) (local $b${i} i32) (local $m${i} i64) (local $q${i} i32) (local $c${i} i32)`).join(' ')}
    (local.set $full (i32.and ${get('rows')} (i32.const -4)))
    (local.set $rowBytes ${bits ? '(i32.const 8)' : `(i32.shl ${get('cols')} (i32.const 2))`})
    (local.set $t ${get('from')})
    (block $trees_done (loop $trees
      (br_if $trees_done (i32.ge_u ${get('t')} ${get('to')}))
      (local.set $root ${i32At('roots', get('t'))})
      (local.set $col ${i32At('outCols', get('t'))})
      (local.set $r (i32.const 0))
      (block $quads_done (loop $quads
        (br_if $quads_done (i32.ge_u ${get('r')} ${get('full')}))
        (local.set $b0 (i32.add ${get('x')} (i32.mul ${get('r')} ${get('rowBytes')})))
        ${LANES.slice(1).map((i) => `(local.set $b${i} (i32.add ${get(`b${i - 1}`)} ${get('rowBytes')}))`).join(' ')}
        ${bits ? LANES.map((i) => `(local.set $m${i} (i64.load ${get(`b${i}`)}))`).join(' ') : ''}
        ${LANES.map((i) => `(local.set $n${i} ${get('root')})`).join(' ')}
        (block $walk_done (loop $walk
          ${LANES.map((i) => `(local.set $l${i} (i32.load ${get(`n${i}`)}))`).join('\n          ')}
          (br_if $walk_done (i32.eqz ${orAll(LANES.map((i) => `(i32.xor ${get(`l${i}`)} ${get(`n${i}`)})`))}))
          ${LANES.map(stepOf).join('\n          ')}
          (br $walk)))
        ${LANES.map((i) => addLeaf(i, `lane${i}`)).join('')}
        (local.set $r (i32.add ${get('r')} (i32.const 4)))
        (br $quads)))
      (block $rest_done (loop $rest
        (br_if $rest_done (i32.ge_u ${get('r')} ${get('rows')}))
        (local.set $b0 (i32.add ${get('x')} (i32.mul ${get('r')} ${get('rowBytes')})))
        ${bits ? `(local.set $m0 (i64.load ${get('b0')}))` : ''}
        (local.set $n0 ${get('root')})
        (block $one_done (loop $one
          (local.set $l0 (i32.load ${get('n0')}))
          (br_if $one_done (i32.eq ${get('l0')} ${get('n0')}))
          ${stepOf(0)}
          (br $one)))
        ${addLeaf(0, 'single')}
        (local.set $r (i32.add ${get('r')} (i32.const 1)))
        (br $rest)))
      (local.set $t (i32.add ${get('t')} (i32.const 1)))
      (br $trees))))`;
};

const MASKS = `(func (export "masks") (param $x i32) (param $rows i32) (param $cols i32) (param $fcols i32) (param $cutOff i32) (param $m i32)
    (local $r i32) (local $f i32) (local $rk i32) (local $acc i64) (local $row i32)
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u ${get('r')} ${get('rows')}))
      (local.set $row (i32.add ${get('x')} (i32.shl (i32.mul ${get('r')} ${get('cols')}) (i32.const 2))))
      (local.set $acc (i64.const 0))
      (local.set $f (i32.const 0))
      (block $f_done (loop $feats
        (br_if $f_done (i32.ge_u ${get('f')} ${get('fcols')}))
        (local.set $rk ${i32At('row', get('f'))})
        (local.set $acc (i64.or ${get('acc')} (i64.shl (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u ${get('rk')})) (i64.const 1)) (i64.extend_i32_u ${i32At('cutOff', get('f'))}))))
        (local.set $f (i32.add ${get('f')} (i32.const 1)))
        (br $feats)))
      (i64.store (i32.add ${get('m')} (i32.shl ${get('r')} (i32.const 3))) ${get('acc')})
      (local.set $r (i32.add ${get('r')} (i32.const 1)))
      (br $rows)))
  )`;

export function walkWat(shared: boolean): string {
  const memory = shared ? '(memory 1 16384 shared)' : '(memory 1)';
  return `(module
  (import "env" "mem" ${memory})
  ${walkFunc('walk', 'ranks')}
  ${walkFunc('walkbits', 'bits')}
  ${walkFunc('walkcat', 'cat')}
  ${MASKS}
  ${RANK}
)`;
}
