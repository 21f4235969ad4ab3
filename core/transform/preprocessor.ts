import { z } from 'zod';
import type { Frame } from '../data/frame.js';
import { columnMeans, hasNaN, type Matrix } from '../data/matrix.js';
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
    let X = this.encoder.transform(frame);
    this.means = columnMeans(X);
    if (this.options.impute && (X.hasMissing ?? hasNaN(X.data))) {
      this.imputer = new KnnImputer(this.options.imputer as KnnImputerParams).fit(X);
      X = this.imputer.transform(X);
    }
    if (this.options.scale) {
      this.scaler = new StandardScaler().fit(X);
      X = this.scaler.transform(X);
    }
    return X;
  }

  /** `into`: a scratch buffer the encoder may write into (see FeatureEncoder.transform). */
  transform(frame: Frame, into?: Float32Array): Matrix {
    if (!this.encoder || !this.means) throw new ModelError('preprocessor is not fitted');
    let X = this.encoder.transform(frame, into);
    if (X.hasMissing ?? hasNaN(X.data)) X = this.imputer ? this.imputer.transform(X) : fillMeans(X, this.means);
    return this.scaler ? this.scaler.transform(X) : X;
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

function fillMeans(X: Matrix, means: Float64Array): Matrix {
  const data = X.data.map((v, i) => (Number.isNaN(v) ? means[i % X.cols] : v));
  return { data, rows: X.rows, cols: X.cols };
}
