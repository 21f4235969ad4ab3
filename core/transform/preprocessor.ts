import { z } from 'zod';
import { sliceRows, type Frame } from '../data/frame.js';
import { addColumnSums, columnMeans, hasNaN, meansOf, type Matrix } from '../data/matrix.js';
import { ModelError } from '../errors.js';
import { FeatureEncoder, type CategoricalEncoding, type CategoricalFeature } from './feature-encoder.js';
import { KnnImputer, type KnnImputerParams } from './knn-imputer.js';
import { StandardScaler } from './standard-scaler.js';

export const PreprocessorOptions = z.object({
  /** Fill missing values with the KNN imputer. Default true. */
  impute: z.boolean().default(true),
  imputer: z.record(z.string(), z.unknown()).default({}),
  /** Standardise columns (for linear models, networks and distance-based models). Default false. */
  scale: z.boolean().default(false),
  /** Per categorical column: onehot (default), ordinal or native (see FeatureEncoder). */
  encodings: z.record(z.string(), z.enum(['onehot', 'ordinal', 'native'])).default({}),
  /**
   * Categorical columns not named in `encodings` reach the model as one column of category codes
   * (`native`) for tree models that split on category sets, instead of one-hot. Default false.
   */
  nativeCategoricals: z.boolean().default(false),
});
export type PreprocessorOptions = z.input<typeof PreprocessorOptions>;

/** Model kinds that split on category sets, so get native categoricals by default (see `Preprocessor.forModel`). */
export const NATIVE_CATEGORICAL_KINDS: ReadonlySet<string> = new Set(['gradient_boosting']);

/**
 * Frame -> model matrix, fitted on training rows only: encode categoricals, impute missing values
 * (KNN), then optionally standardise. The imputer is fitted only when the training rows have
 * missing values; a later missing value without one falls back to the training mean.
 */
export class Preprocessor {
  static readonly kind = 'preprocessor';
  readonly options: z.output<typeof PreprocessorOptions>;
  private encoder?: FeatureEncoder;
  private imputer?: KnnImputer;
  private means?: Float64Array;
  private scaler?: StandardScaler;

  constructor(options: PreprocessorOptions = {}) {
    this.options = PreprocessorOptions.parse(options);
  }

  /**
   * The preprocessing a model kind gets by default: native categoricals for the kinds in
   * NATIVE_CATEGORICAL_KINDS (one-hot for the rest); `options` overrides.
   */
  static forModel(kind: string, options: PreprocessorOptions = {}): Preprocessor {
    return new Preprocessor({ nativeCategoricals: NATIVE_CATEGORICAL_KINDS.has(kind), ...options });
  }

  fitTransform(frame: Frame): Matrix {
    const fallback: CategoricalEncoding = this.options.nativeCategoricals ? 'native' : 'onehot';
    this.encoder = new FeatureEncoder().fit(frame, this.options.encodings as Record<string, CategoricalEncoding>, fallback);
    // The encoder's matrix is this call's own, so imputing and scaling overwrite it: at a million
    // one-hot rows each copy would be ~1 GB.
    let X = this.encoder.transform(frame);
    this.means = columnMeans(X);
    if (this.options.impute && (X.hasMissing ?? hasNaN(X.data))) {
      this.imputer = new KnnImputer(this.options.imputer as KnnImputerParams).fit(X);
      X = this.imputer.transform(X, { inPlace: true });
    }
    if (this.options.scale) {
      this.scaler = new StandardScaler().fit(X);
      X = this.scaler.transform(X, { inPlace: true });
    }
    return X;
  }

  /**
   * Fits as `fitTransform` does (the same state, bit for bit) without making the whole matrix:
   * the frame is encoded `blockRows` rows at a time, once per statistic, for a stage that keeps
   * only the fitted state (a million one-hot rows would be ~1 GB). It awaits `pause` between
   * blocks, so a queue worker keeps renewing its job lock. Defaults: 8,192 rows, a macrotask turn.
   */
  async fitInBlocks(frame: Frame, { blockRows = 8192, pause = () => new Promise<void>((r) => setImmediate(r)) } = {}): Promise<this> {
    const fallback: CategoricalEncoding = this.options.nativeCategoricals ? 'native' : 'onehot';
    const encoder = new FeatureEncoder().fit(frame, this.options.encodings as Record<string, CategoricalEncoding>, fallback);
    this.encoder = encoder;
    this.imputer = undefined;
    this.scaler = undefined;
    const cols = encoder.outputNames.length;
    let scratch: Float32Array | undefined;
    async function* encoded(): AsyncGenerator<Matrix> {
      for (let r0 = 0; r0 < frame.nRows; r0 += blockRows) {
        const X = encoder.transform(sliceRows(frame, r0, Math.min(frame.nRows, r0 + blockRows)), scratch);
        scratch = X.data;
        yield X;
        await pause();
      }
    }
    const sums = { sum: new Float64Array(cols), n: new Float64Array(cols) };
    let missing = false;
    for await (const X of encoded()) {
      addColumnSums(X, sums.sum, sums.n);
      missing ||= X.hasMissing ?? hasNaN(X.data);
    }
    this.means = meansOf(sums);
    if (this.options.impute && missing) this.imputer = await new KnnImputer(this.options.imputer as KnnImputerParams).fitBlocks(frame.nRows, cols, encoded());
    const { imputer } = this;
    if (this.options.scale) {
      this.scaler = await new StandardScaler().fitBlocks(cols, async function* () {
        for await (const X of encoded()) yield imputer ? imputer.transform(X, { inPlace: true }) : X;
      });
    }
    return this;
  }

  /**
   * `into`: a scratch buffer the encoder may write into (see FeatureEncoder.transform); the result
   * may then share it. Imputing and scaling overwrite the encoder's matrix (fresh, or `into`).
   */
  transform(frame: Frame, into?: Float32Array): Matrix {
    if (!this.encoder || !this.means) throw new ModelError('preprocessor is not fitted');
    let X = this.encoder.transform(frame, into);
    if (X.hasMissing ?? hasNaN(X.data)) X = this.imputer ? this.imputer.transform(X, { inPlace: true }) : fillMeans(X, this.means);
    return this.scaler ? this.scaler.transform(X, { inPlace: true }) : X;
  }

  /** Output columns holding native category codes: pass them to the model as `FitOptions.categorical`. */
  get categoricalFeatures(): CategoricalFeature[] {
    if (!this.encoder) throw new ModelError('preprocessor is not fitted');
    return this.encoder.categoricalFeatures;
  }

  get outputNames(): string[] {
    if (!this.encoder) throw new ModelError('preprocessor is not fitted');
    return this.encoder.outputNames;
  }

  toJSON() {
    if (!this.encoder || !this.means) throw new ModelError('preprocessor is not fitted');
    return {
      kind: Preprocessor.kind,
      version: 1,
      params: this.options,
      state: {
        encoder: this.encoder.toJSON(),
        means: Array.from(this.means),
        imputer: this.imputer?.toJSON() ?? null,
        scaler: this.scaler?.toJSON() ?? null,
      },
    };
  }

  static fromJSON(json: { kind: string; params: unknown; state: unknown }): Preprocessor {
    if (json.kind !== Preprocessor.kind) throw new ModelError(`expected ${Preprocessor.kind}, got ${json.kind}`);
    const p = new Preprocessor(json.params as PreprocessorOptions);
    const s = z
      .object({ encoder: z.any(), means: z.array(z.number()), imputer: z.any().nullable(), scaler: z.any().nullable() })
      .parse(json.state);
    p.encoder = FeatureEncoder.fromJSON(s.encoder);
    p.means = Float64Array.from(s.means);
    p.imputer = s.imputer ? KnnImputer.fromJSON(s.imputer) : undefined;
    p.scaler = s.scaler ? StandardScaler.fromJSON(s.scaler) : undefined;
    return p;
  }
}

/** Fills X's missing values with the training means, in place. */
function fillMeans(X: Matrix, means: Float64Array): Matrix {
  const { data, cols } = X;
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) data[i] = means[i % cols];
  return { data, rows: X.rows, cols };
}
