export type ParamGrid = Record<string, readonly unknown[]>;
export type Params = Record<string, unknown>;

/** Every combination of the grid's values, in a stable order (last key varies fastest). */
export function expandGrid(grid: ParamGrid): Params[] {
  return Object.entries(grid).reduce<Params[]>(
    (acc, [key, values]) => acc.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))),
    [{}],
  );
}

/** Groups configs that differ only in `stageParam`, so one fit at the largest size scores them all. */
export function groupByStage(configs: Params[], stageParam?: string): { base: Params; stages: number[] }[] {
  if (!stageParam) return configs.map((c) => ({ base: c, stages: [] }));
  const groups = new Map<string, { base: Params; stages: number[] }>();
  for (const c of configs) {
    const { [stageParam]: stage, ...rest } = c;
    const key = JSON.stringify(rest);
    const g = groups.get(key) ?? { base: rest, stages: [] };
    g.stages.push(Number(stage));
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({ ...g, stages: [...new Set(g.stages)].sort((a, b) => a - b) }));
}
