import { getJson, putJson } from '../artifacts/json.js';
import type { ThresholdRule } from '../decision/threshold-rule.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { ModelManifest } from '../ports/model-registry.js';

/** The threshold of a version registered before thresholds were chosen: arg-max of a binary model. */
export const LEGACY_THRESHOLD = 0.5;

/** The threshold a version was trained with. */
export const trainedThreshold = (m: Pick<ModelManifest, 'operatingPoint'>): number => m.operatingPoint?.threshold ?? LEGACY_THRESHOLD;

/** One change of a version's threat threshold: who, when, from, to, why (and the rule, when one chose it). */
export interface ThresholdEvent {
  seq: number;
  from: number;
  to: number;
  rule?: ThresholdRule;
  by: string;
  why: string;
  at: string;
}

export interface ThresholdState {
  /** The threshold in force: the last event's, else the one chosen at training. */
  threshold: number;
  /** Events so far (0 = the trained threshold): servers compare it to see a change. */
  seq: number;
  events: ThresholdEvent[];
}

const SEQ_DIGITS = 8;
const MAX_ATTEMPTS = 200;

/**
 * A version's threshold changes as an append-only log of numbered events
 * (`models/<name>/v<N>/threshold/<seq>.json`), written with create-if-absent as the alias log is:
 * racing changes are all kept, in order, and the threshold is the last one's. A head file
 * (`threshold.head.json`) lets servers poll it with one read.
 */
export class ThresholdLog {
  constructor(private readonly store: ArtifactStore) {}

  private prefix(name: string, version: number): string {
    return `models/${name}/v${version}/threshold/`;
  }

  private eventKey(name: string, version: number, seq: number): string {
    return `${this.prefix(name, version)}${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
  }

  private headKey(name: string, version: number): string {
    return `models/${name}/v${version}/threshold.head.json`;
  }

  async state(name: string, version: number, trained: number): Promise<ThresholdState> {
    const keys = (await this.store.list(this.prefix(name, version))).filter((k) => /\/\d+\.json$/.test(k)).sort();
    const events = (await Promise.all(keys.map((k) => getJson<ThresholdEvent>(this.store, k)))).filter((e): e is ThresholdEvent => !!e);
    const last = events.at(-1);
    return { threshold: last?.to ?? trained, seq: last?.seq ?? 0, events };
  }

  /** The threshold now, cheaply: the head, trusted when no event follows the one it names. */
  async current(name: string, version: number, trained: number): Promise<{ threshold: number; seq: number }> {
    const head = await getJson<{ seq: number; threshold: number }>(this.store, this.headKey(name, version));
    if (head && !(await this.store.exists(this.eventKey(name, version, head.seq + 1)))) return head;
    if (!head && !(await this.store.exists(this.eventKey(name, version, 1)))) return { threshold: trained, seq: 0 };
    const { threshold, seq } = await this.state(name, version, trained);
    return { threshold, seq };
  }

  async change(name: string, version: number, trained: number, change: Omit<ThresholdEvent, 'seq' | 'from' | 'at'>): Promise<{ event: ThresholdEvent; state: ThresholdState }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.state(name, version, trained);
      const event: ThresholdEvent = { seq: state.seq + 1, from: state.threshold, to: change.to, ...(change.rule ? { rule: change.rule } : {}), by: change.by, why: change.why, at: new Date().toISOString() };
      const { created } = await putJson(this.store, this.eventKey(name, version, event.seq), event, { ifAbsent: true });
      if (created) {
        await putJson(this.store, this.headKey(name, version), { seq: event.seq, threshold: event.to });
        return { event, state: { threshold: event.to, seq: event.seq, events: [...state.events, event] } };
      }
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 2)));
    }
    throw new Error(`threshold of ${name} v${version} is changing too often: gave up after ${MAX_ATTEMPTS} attempts`);
  }
}
