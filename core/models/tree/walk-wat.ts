/**
 * WebAssembly text of the tree-walk kernel. Four rows walk each tree together (four independent
 * load chains in flight), branch-free per step: `node = left - ((thresholdRank - rank) >> 31)`,
 * leaves pointing to themselves; the loop ends when all four lanes sit on leaves.
 *
 * walk(left, thresholdRank, feature, value, roots, outCols, from, to, width, x, rows, cols, out, outDim)
 * adds, for trees [from, to), each leaf's `width` values into out[row * outDim + outCols[tree] + k].
 * Every pointer is a byte offset into the imported memory; x holds int32 ranks, row-major.
 */
const LANES = [0, 1, 2, 3];

const get = (name: string) => `(local.get $${name})`;
const i32At = (base: string, index: string, shift = 2) => `(i32.load (i32.add ${get(base)} (i32.shl ${index} (i32.const ${shift}))))`;
const orAll = (xs: string[]): string => (xs.length === 1 ? xs[0] : `(i32.or ${orAll(xs.slice(0, xs.length >> 1))} ${orAll(xs.slice(xs.length >> 1))})`);

const step = (i: number) =>
  `(local.set $n${i} (i32.sub ${get(`l${i}`)} (i32.shr_s (i32.sub ${i32At('tr', get(`n${i}`))} ${i32At(`b${i}`, i32At('fe', get(`n${i}`)))}) (i32.const 31))))`;

const addLeaf = (lane: number, label: string) => `
        (local.set $o (i32.add ${get('out')} (i32.shl (i32.add (i32.mul (i32.add ${get('r')} (i32.const ${lane})) ${get('outDim')}) ${get('col')}) (i32.const 3))))
        (local.set $v (i32.add ${get('val')} (i32.shl (i32.mul ${get(`n${lane}`)} ${get('width')}) (i32.const 3))))
        (local.set $k (i32.const 0))
        (block $${label}_done (loop $${label}
          (br_if $${label}_done (i32.ge_u ${get('k')} ${get('width')}))
          (f64.store ${get('o')} (f64.add (f64.load ${get('o')}) (f64.load ${get('v')})))
          (local.set $o (i32.add ${get('o')} (i32.const 8)))
          (local.set $v (i32.add ${get('v')} (i32.const 8)))
          (local.set $k (i32.add ${get('k')} (i32.const 1)))
          (br $${label})))`;

export function walkWat(shared: boolean): string {
  const memory = shared ? '(memory 1 16384 shared)' : '(memory 1)';
  return `(module
  (import "env" "mem" ${memory})
  (func (export "walk") (param $lt i32) (param $tr i32) (param $fe i32) (param $val i32) (param $roots i32) (param $outCols i32)
        (param $from i32) (param $to i32) (param $width i32) (param $x i32) (param $rows i32) (param $cols i32) (param $out i32) (param $outDim i32)
    (local $t i32) (local $r i32) (local $root i32) (local $col i32) (local $full i32) (local $rowBytes i32) (local $o i32) (local $v i32) (local $k i32)
    ${LANES.map((i) => `(local $n${i} i32) (local $l${i} i32) (local $b${i} i32)`).join(' ')}
    (local.set $full (i32.and ${get('rows')} (i32.const -4)))
    (local.set $rowBytes (i32.shl ${get('cols')} (i32.const 2)))
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
        ${LANES.map((i) => `(local.set $n${i} ${get('root')})`).join(' ')}
        (block $walk_done (loop $walk
          ${LANES.map((i) => `(local.set $l${i} ${i32At('lt', get(`n${i}`))})`).join('\n          ')}
          (br_if $walk_done (i32.eqz ${orAll(LANES.map((i) => `(i32.xor ${get(`l${i}`)} ${get(`n${i}`)})`))}))
          ${LANES.map(step).join('\n          ')}
          (br $walk)))
        ${LANES.map((i) => addLeaf(i, `lane${i}`)).join('')}
        (local.set $r (i32.add ${get('r')} (i32.const 4)))
        (br $quads)))
      (block $rest_done (loop $rest
        (br_if $rest_done (i32.ge_u ${get('r')} ${get('rows')}))
        (local.set $b0 (i32.add ${get('x')} (i32.mul ${get('r')} ${get('rowBytes')})))
        (local.set $n0 ${get('root')})
        (block $one_done (loop $one
          (local.set $l0 ${i32At('lt', get('n0'))})
          (br_if $one_done (i32.eq ${get('l0')} ${get('n0')}))
          ${step(0)}
          (br $one)))
        ${addLeaf(0, 'single')}
        (local.set $r (i32.add ${get('r')} (i32.const 1)))
        (br $rest)))
      (local.set $t (i32.add ${get('t')} (i32.const 1)))
      (br $trees)))))`;
}
