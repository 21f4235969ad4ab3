import type { ThresholdRule } from '../../schema/run-config.js';
import { runKeys } from '../pipeline/run-keys.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelManifest, ModelRegistry } from '../ports/model-registry.js';
import type { ThresholdEvent, ThresholdState } from '../registry/threshold-log.js';
import { decodeOutOfFold } from './oof-codec.js';
import { chooseThreshold, ruleText, type ChosenThreshold } from './threshold-rule.js';

/** A threshold given as a value or as a rule applied again to the version's out-of-fold scores. */
export type ThresholdRequest = { threshold: number } | { rule: ThresholdRule };

/** Why a threshold change could not be made (no such version, no out-of-fold scores for a rule). */
export class ThresholdChangeError extends Error {
  override name = 'ThresholdChangeError';
  constructor(
    message: string,
    readonly reason: 'no-version' | 'no-oof',
  ) {
    super(message);
  }
}

/** The threshold `rule` picks on the out-of-fold scores the version was chosen with (as served: calibrated when it is). */
export async function thresholdByRule(store: ArtifactStore, manifest: ModelManifest, rule: ThresholdRule): Promise<ChosenThreshold> {
  const bytes = await store.get(runKeys(manifest.runId).familyOof(manifest.family));
  if (!bytes) throw new ThresholdChangeError(`${manifest.name} v${manifest.version} has no out-of-fold scores (trained before they were kept): give a threshold value`, 'no-oof');
  const oof = decodeOutOfFold(bytes);
  return chooseThreshold(oof.isThreat, oof.calibrated, rule);
}

/**
 * Sets a version's threat threshold without retraining: an audited event (who, when, from, to,
 * why, and the rule with what it gave out of fold) in the version's threshold log.
 */
export async function changeThreshold(
  registry: ModelRegistry,
  store: ArtifactStore,
  name: string,
  version: number,
  request: ThresholdRequest,
  who: { by: string; why?: string },
): Promise<{ event: ThresholdEvent; state: ThresholdState; chosen?: ChosenThreshold }> {
  const entry = await registry.get(name, version);
  if (!entry) throw new ThresholdChangeError(`${name} has no version ${version}`, 'no-version');
  if ('threshold' in request) {
    const r = await registry.changeThreshold(name, version, { to: request.threshold, by: who.by, why: who.why ?? 'set by hand' });
    return r;
  }
  const chosen = await thresholdByRule(store, entry.manifest, request.rule);
  const figures = `out of fold: FPR ${chosen.at.fpr.toFixed(4)}, recall ${chosen.at.recall.toFixed(4)}, precision ${chosen.at.precision.toFixed(4)}`;
  const why = `${who.why ? `${who.why}; ` : ''}${ruleText(request.rule)} (${figures})${chosen.note ? `; ${chosen.note}` : ''}`;
  const r = await registry.changeThreshold(name, version, { to: chosen.threshold, rule: request.rule, by: who.by, why });
  return { ...r, chosen };
}
