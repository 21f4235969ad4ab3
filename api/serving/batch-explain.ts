import { assertExplainable, explainedOutputOf } from '../../core/explain/explainer.js';
import { featureColumns } from '../../core/explain/feature-columns.js';
import type { ServedModel } from '../../core/registry/served-model.js';
import type { BatchExplain } from '../../schema/batches.js';
import { ApiError } from '../errors.js';

const badExplain = (message: string) => new ApiError(400, 'invalid_explain', message, [{ field: 'explain', rule: 'integer-range', message }]);

/**
 * An async batch's `explain` query parameter (`POST /v1/batches?explain=k`): absent -> no
 * explanation; a whole number k from 1 to the model's feature count -> the top k contributions of
 * every row as columns. Anything else is a 400 naming `explain`; a model family that is never
 * explained (MLP, KNN) a 422, as on /v1/predict.
 */
export function batchExplainOf(param: string | undefined, served: ServedModel): BatchExplain | undefined {
  if (param === undefined) return undefined;
  const kind = served.pipeline.model.kind;
  const { features } = featureColumns(served.pipeline.preprocessor);
  const range = `a whole number from 1 to ${features.length} (the model's features)`;
  if (!/^\d{1,6}$/.test(param.trim())) throw badExplain(`explain must be ${range}, not ${JSON.stringify(param.slice(0, 40))}`);
  const top = Number(param.trim());
  try {
    assertExplainable(kind);
  } catch (err) {
    const message = (err as Error).message;
    throw new ApiError(422, 'not_explainable', message, [{ field: 'explain', rule: 'explainable-model', message }]);
  }
  if (top < 1 || top > features.length) throw badExplain(`explain must be ${range}, not ${top}`);
  const { classes, positiveClass } = served.pipeline;
  return { top, output: explainedOutputOf(kind), class: classes.length === 2 ? classes[positiveClass] : null };
}
