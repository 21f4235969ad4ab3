/**
 * Platt scaling: P(threat) = 1 / (1 + exp(a * logit(s) + b)), fitted by Newton's method on the
 * log-loss with Platt's smoothed targets. Fitted on the score's logit (clipped away from 0 and 1)
 * so that an already calibrated score is a = -1, b = 0.
 */
export interface PlattState {
  a: number;
  b: number;
}

const EPS = 1e-7;
const logit = (s: number) => {
  const p = Math.min(1 - EPS, Math.max(EPS, s));
  return Math.log(p / (1 - p));
};

export function fitPlatt(isThreat: ArrayLike<number>, score: ArrayLike<number>): PlattState {
  const n = score.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (isThreat[i]) nPos++;
  const hiT = (nPos + 1) / (nPos + 2);
  const loT = 1 / (n - nPos + 2);
  const f = Float64Array.from({ length: n }, (_, i) => logit(score[i]));
  let a = -1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    // Gradient and Hessian of the log-loss in (a, b), with p = sigmoid(-(a f + b)).
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(a * f[i] + b));
      const t = isThreat[i] ? hiT : loT;
      const d = t - p;
      ga += d * f[i];
      gb += d;
      const w = p * (1 - p);
      haa += w * f[i] * f[i];
      hab += w * f[i];
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}

export function applyPlatt(s: PlattState, score: number): number {
  return 1 / (1 + Math.exp(s.a * logit(score) + s.b));
}
