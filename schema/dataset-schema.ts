import { z } from 'zod';

/** A category value as written in a data file: a string code or an integer code. */
/** Cells read as missing when a schema does not list its own `missingValues`. */
export const DEFAULT_MISSING_VALUES = ['', 'na', 'NA', 'NaN', 'null'];

export const CategoryValue = z.union([z.string().min(1), z.number().int()]);
export type CategoryValue = z.infer<typeof CategoryValue>;

const columnBase = {
  name: z.string().min(1),
  /** Whether empty cells (and the schema's `missingValues`) are allowed. Default false. */
  nullable: z.boolean().default(false),
  description: z.string().optional(),
};

export const NumericColumnSpec = z
  .object({
    ...columnBase,
    kind: z.literal('numeric'),
    /** Inclusive bounds; values outside are out of domain. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** When set, the only values allowed (e.g. [-1, 0, 1]). */
    values: z.array(z.number()).min(1).optional(),
    /** Require whole numbers. Default false. */
    integer: z.boolean().default(false),
  })
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, {
    message: 'min must be <= max',
    path: ['min'],
  });

/** What scoring does with a category outside a column's `values`. */
export const UnknownCategory = z.enum(['error', 'ignore', 'other']);
export type UnknownCategory = z.infer<typeof UnknownCategory>;

export const CategoricalColumnSpec = z
  .object({
    ...columnBase,
    kind: z.literal('categorical'),
    /** Allowed categories; training data must hold only these. */
    values: z.array(CategoryValue).min(1, 'list at least one category'),
    /** How models see the column: one-hot (default) or an ordinal code in list order. */
    encoding: z.enum(['onehot', 'ordinal']).default('onehot'),
    /**
     * A value outside `values` when scoring (training still refuses it). `ignore` (default, as
     * scikit-learn's handle_unknown="ignore"): the row is scored with the category unknown (one-hot:
     * no column set; ordinal: missing, then imputed). `other`: scored as the listed value `other`.
     * `error`: the row is refused, naming the column and the rule `allowed-values`.
     */
    unknown: UnknownCategory.default('ignore'),
    /** With `unknown: other`: the listed value unseen values are scored as (e.g. `other`). */
    other: CategoryValue.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.unknown === 'other' && (c.other === undefined || !c.values.map(String).includes(String(c.other)))) {
      ctx.addIssue({ code: 'custom', path: ['other'], message: 'unknown: other needs `other` set to one of the column\'s values' });
    } else if (c.unknown !== 'other' && c.other !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['other'], message: '`other` is only read with unknown: other' });
    }
  });

export const ColumnSpec = z.discriminatedUnion('kind', [NumericColumnSpec, CategoricalColumnSpec], {
  error: (issue) => (issue.code === 'invalid_union' ? 'kind must be numeric or categorical' : undefined),
});
export type ColumnSpec = z.infer<typeof ColumnSpec>;
export type NumericColumnSpec = z.infer<typeof NumericColumnSpec>;
export type CategoricalColumnSpec = z.infer<typeof CategoricalColumnSpec>;

export const LabelSpec = z
  .object({
    name: z.string().min(1),
    /** Every class the label may take, in a fixed order (the model's class order). */
    classes: z.array(CategoryValue).min(2, 'list at least two classes'),
    /** The class(es) that are threats; the first is the positive class of binary metrics. */
    threat: z.array(CategoryValue).min(1, 'list at least one threat class'),
    /** Human names for classes, e.g. { "-1": "phishing" }. */
    names: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((label, ctx) => {
    const known = new Set(label.classes.map(String));
    if (known.size !== label.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'classes must be unique' });
    }
    label.threat.forEach((t, i) => {
      if (!known.has(String(t))) {
        ctx.addIssue({ code: 'custom', path: ['threat', i], message: `threat class ${String(t)} is not in classes` });
      }
    });
  });
export type LabelSpec = z.infer<typeof LabelSpec>;

export const DatasetSchema = z
  .object({
    name: z.string().min(1),
    version: z.number().int().positive().default(1),
    description: z.string().optional(),
    /** Cell texts read as missing, besides the empty cell (e.g. "na", "?"). */
    missingValues: z.array(z.string()).default(DEFAULT_MISSING_VALUES),
    features: z.array(ColumnSpec).min(1),
    label: LabelSpec,
    /** Columns present in the data but never used (ids, leaks). */
    ignore: z.array(z.string().min(1)).default([]),
  })
  .superRefine((schema, ctx) => {
    const seen = new Set<string>();
    const names = [...schema.features.map((f) => f.name), schema.label.name, ...schema.ignore];
    names.forEach((name) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['features'], message: `column ${name} is declared twice` });
      seen.add(name);
    });
  });
export type DatasetSchema = z.infer<typeof DatasetSchema>;
/** A schema as written in a file, before defaults are applied. */
export type DatasetSchemaInput = z.input<typeof DatasetSchema>;
