import { getJson, putJson } from '../artifacts/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { AliasChange, AliasChangeResult, AliasEvent, AliasState } from '../ports/model-registry.js';

const SEQ_DIGITS = 8;
/** Attempts before a change gives up on a busy alias (each one lost a race to another writer). */
const MAX_ATTEMPTS = 200;

/** The state after one event, from the state before it. */
function apply(state: AliasState, e: AliasEvent): AliasState {
  const stack = state.stack.slice();
  if (e.action === 'rollback') stack.pop();
  else if ((e.action === 'promote' || e.action === 'auto-promote') && e.to !== null && stack.at(-1) !== e.to) stack.push(e.to);
  return { version: stack.at(-1), pinned: e.pinned, stack, events: [...state.events, e] };
}

const EMPTY: AliasState = { version: undefined, pinned: false, stack: [], events: [] };

/** The event `change` makes from `state`, or why it cannot be made. */
function decide(state: AliasState, change: AliasChange): Omit<AliasEvent, 'seq' | 'at'> | { refused: string } {
  const base = { action: change.action, from: state.version ?? null, by: change.by, why: change.why };
  switch (change.action) {
    case 'promote':
      // A person chose this version: scheduled runs leave it alone until someone unpins.
      return { ...base, to: change.version, pinned: true };
    case 'auto-promote':
      // The run compared its model with `expected`: a later change (a person's promote, another run) was not beaten.
      if (change.expected !== undefined && (state.version ?? null) !== change.expected) {
        return { refused: `production moved from ${change.expected === null ? 'none' : `v${change.expected}`} to v${state.version} since v${change.version} was compared with it` };
      }
      if (state.pinned) return { refused: `${change.version === state.version ? '' : `v${change.version} not promoted: `}pinned at v${state.version} by ${state.events.at(-1)?.by ?? 'someone'}; unpin to let runs promote` };
      return { ...base, to: change.version, pinned: false };
    case 'rollback': {
      if (state.stack.length < 2) return { refused: 'there is no earlier production version' };
      return { ...base, to: state.stack.at(-2)!, pinned: true };
    }
    case 'pin':
    case 'unpin':
      if (state.version === undefined) return { refused: 'there is no production version to pin' };
      return { ...base, to: state.version, pinned: change.action === 'pin' };
  }
}

/**
 * An alias as an append-only log of numbered events in the artifact store
 * (`models/<name>/aliases/<alias>/<seq>.json`). A change reads the log, decides, and creates the
 * next number with a create-if-absent write (`If-None-Match: *` on S3, a hard link on disk): of
 * two writers racing for one number exactly one wins, the other reads again and re-decides. So no
 * change is lost, the history is complete and ordered, and the alias is its last event.
 */
export class AliasLog {
  constructor(private readonly store: ArtifactStore) {}

  private prefix(name: string, alias: string): string {
    return `models/${name}/aliases/${alias}/`;
  }

  async state(name: string, alias: string): Promise<AliasState> {
    const keys = (await this.store.list(this.prefix(name, alias))).filter((k) => /\/\d+\.json$/.test(k));
    const events = await Promise.all(keys.map((k) => getJson<AliasEvent>(this.store, k)));
    let state = await this.legacy(name, alias);
    for (const e of events) if (e) state = apply(state, e);
    return state;
  }

  /**
   * The alias's version, cheaply (servers poll it): the head pointer, trusted when no event follows
   * the one it names; else the last event (every event records the version it leaves).
   */
  async version(name: string, alias: string): Promise<number | undefined> {
    const head = await getJson<{ seq: number; version: number | null }>(this.store, this.headKey(name, alias));
    if (head && !(await this.store.exists(this.eventKey(name, alias, head.seq + 1)))) return head.version ?? undefined;
    const last = (await this.store.list(this.prefix(name, alias))).filter((k) => /\/\d+\.json$/.test(k)).at(-1);
    if (!last) return (await this.legacy(name, alias)).version;
    return (await getJson<AliasEvent>(this.store, last))?.to ?? undefined;
  }

  private eventKey(name: string, alias: string, seq: number): string {
    return `${this.prefix(name, alias)}${String(seq).padStart(SEQ_DIGITS, '0')}.json`;
  }

  /** A hint, written after each event: racing writers may leave it behind the log, never ahead. */
  private headKey(name: string, alias: string): string {
    return `models/${name}/aliases/${alias}.head.json`;
  }

  async change(name: string, alias: string, change: AliasChange): Promise<AliasChangeResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const state = await this.state(name, alias);
      const d = decide(state, change);
      if ('refused' in d) return { changed: false, reason: d.refused, state };
      const seq = (state.events.at(-1)?.seq ?? 0) + 1;
      const event: AliasEvent = { ...d, seq, at: new Date().toISOString() };
      const { created } = await putJson(this.store, this.eventKey(name, alias, seq), event, { ifAbsent: true });
      if (created) {
        await putJson(this.store, this.headKey(name, alias), { seq, version: event.to });
        return { changed: true, event, state: apply(state, event) };
      }
      // Another writer took this number: back off a little (jittered) and decide again on its result.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 2)));
    }
    throw new Error(`alias ${name}/${alias} is changing too often: gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /** Stores from before the log kept `<alias>.history.json` (every version, oldest first): read as promotions. */
  private async legacy(name: string, alias: string): Promise<AliasState> {
    const history = (await getJson<{ version: number; at: string }[]>(this.store, `models/${name}/aliases/${alias}.history.json`)) ?? [];
    let state = EMPTY;
    for (const h of history) state = apply(state, { seq: 0, action: 'promote', from: state.version ?? null, to: h.version, pinned: false, by: 'unknown (before the audit log)', why: '', at: h.at });
    return state;
  }
}
