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
  return {
    register: (...a) => registry.register(...a),
    versions: (name) => registry.versions(name),
    get: (name, ref) => registry.get(name, ref),
    trainingRows: (name, version) => registry.trainingRows(name, version),
    threshold: (name, version) => registry.threshold(name, version),
    thresholdState: (name, version) => registry.thresholdState(name, version),
    changeThreshold: (name, version, change) => registry.changeThreshold(name, version, change),
    alias: (name, alias) => registry.alias(name, alias),
    aliasState: (name, alias) => registry.aliasState(name, alias),
    names: () => registry.names(),
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
}
