import type { AliasChange, AliasChangeResult, ModelRegistry } from '../../ports/model-registry.js';
import type { Tracker } from '../../ports/tracker.js';

/**
 * Our registry, with every alias change (promote, rollback, pin, unpin from the API or the CLI)
 * mirrored to the tracker's registry (MLflow's registered-model alias). Ours stays authoritative:
 * a mirror that fails is reported through `warn` and never fails the change. A run's own
 * `auto-promote` is left to the run, which registers the MLflow version and sets the alias itself.
 */
export function mirrorAliases(registry: ModelRegistry, tracker: Tracker, warn?: (message: string, err: unknown) => void): ModelRegistry {
  const moveAlias = tracker.moveAlias?.bind(tracker);
  if (!moveAlias) return registry;
  // Every other method is the registry's own (a wrapper listing them broke each time the port grew).
  const mirrored: Pick<ModelRegistry, 'changeAlias'> = {
    async changeAlias(name: string, alias: string, change: AliasChange): Promise<AliasChangeResult> {
      const result = await registry.changeAlias(name, alias, change);
      if (result.changed && change.action !== 'auto-promote') {
        // The state after the change, not the event: a later change may already have landed.
        const now = await registry.aliasState(name, alias);
        try {
          await moveAlias(name, alias, now.version ?? null, now.pinned);
        } catch (err) {
          warn?.(`tracking: ${alias} alias of ${name} not mirrored`, err);
        }
      }
      return result;
    },
  };
  return Object.assign(Object.create(registry) as ModelRegistry, mirrored);
}
