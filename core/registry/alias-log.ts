import { getJson, putJson } from '../artifacts/json.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { AliasChange, AliasChangeResult, AliasEvent, AliasSnapshot, AliasState } from '../ports/model-registry.js';

const SEQ_DIGITS = 8;
/** Attempts before a change gives up on a busy alias (each one lost a race to another writer). */
const MAX_ATTEMPTS = 200;
/** Events read at once when replaying a whole log (a long history must not open thousands of requests). */
const READ_BATCH = 32;

/** The snapshot after one event, from the one before it. */
function apply(s: AliasSnapshot, e: AliasEvent): AliasSnapshot {
  const stack = s.stack.slice();
  if (e.action === 'rollback') stack.pop();
  else if ((e.action === 'promote' || e.action === 'auto-promote') && e.to !== null && stack.at(-1) !== e.to) stack.push(e.to);
  return { seq: e.seq, version: stack.at(-1), pinned: e.pinned, stack, lastBy: e.by };
}

const EMPTY: AliasSnapshot = { seq: 0, version: undefined, pinned: false, stack: [], lastBy: undefined };

/** The event `change` makes from `s`, or why it cannot be made. */
function decide(s: AliasSnapshot, change: AliasChange): Omit<AliasEvent, 'seq' | 'at'> | { refused: string } {
  const base = { action: change.action, from: s.version ?? null, by: change.by, why: change.why };
  switch (change.action) {
    case 'promote':
      // A person chose this version: scheduled runs leave it alone until someone unpins.
      return { ...base, to: change.version, pinned: true };
    case 'auto-promote':
      // The run compared its model with `expected`: a later change (a person's promote, another run) was not beaten.
      if (change.expected !== undefined && (s.version ?? null) !== change.expected) {
        return { refused: `production moved from ${change.expected === null ? 'none' : `v${change.expected}`} to v${s.version} since v${change.version} was compared with it` };
      }
      if (s.pinned) return { refused: `${change.version === s.version ? '' : `v${change.version} not promoted: `}pinned at v${s.version} by ${s.lastBy ?? 'someone'}; unpin to let runs promote` };
      return { ...base, to: change.version, pinned: false };
    case 'rollback': {
      if (s.stack.length < 2) return { refused: 'there is no earlier production version' };
      return { ...base, to: s.stack.at(-2)!, pinned: true };
    }
    case 'pin':
    case 'unpin':
      if (s.version === undefined) return { refused: 'there is no production version to pin' };
      return { ...base, to: s.version, pinned: change.action === 'pin' };
  }
}

/** The head file: a hint of the alias after event `seq` (older heads hold only the version). */
interface Head {
  seq: number;
  version: number | null;
  snapshot?: AliasSnapshot;
}

const seqOf = (key: string) => Number(/\/(\d+)\.json$/.exec(key)?.[1] ?? NaN);

/**
 * An alias as an append-only log of numbered events in the artifact store
 * (`models/<name>/aliases/<alias>/<seq>.json`). A change reads the log, decides, and creates the
 * next number with a create-if-absent write (`If-None-Match: *` on S3, a hard link on disk): of
 * two writers racing for one number exactly one wins, the other reads again and re-decides. So no
 * change is lost, the history is complete and ordered, and the alias is its last event. A change
 * starts from the head file's snapshot and reads only the events after it, so its cost does not
 * grow with the history.
 */
export class AliasLog {
  constructor(private readonly store: ArtifactStore) {}

  private prefix(name: string, alias: string): string {
    return `models/${name}/aliases/${alias}/`;
  }

  private async eventKeys(name: string, alias: string): Promise<string[]> {
    return (await this.store.list(this.prefix(name, alias))).filter((k) => /\/\d+\.json$/.test(k));
  }

  private async read(keys: string[]): Promise<AliasEvent[]> {
    const out: AliasEvent[] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH) {
      for (const e of await Promise.all(keys.slice(i, i + READ_BATCH).map((k) => getJson<AliasEvent>(this.store, k)))) if (e) out.push(e);
    }
    return out;
  }

  /** Every event, replayed (the audit trail). */
  async state(name: string, alias: string): Promise<AliasState> {
    const events = await this.read(await this.eventKeys(name, alias));
    let s = await this.legacy(name, alias);
    for (const e of events) s = apply(s, e);
    return { ...s, events };
  }

  /** The alias now: the head's snapshot (a hint, never ahead of the log) plus the events after it. */
  private async snapshot(name: string, alias: string): Promise<AliasSnapshot> {
    const head = await getJson<Head>(this.store, this.headKey(name, alias));
    const from = head?.snapshot && head.snapshot.seq === head.seq ? head.snapshot : undefined;
    const keys = await this.eventKeys(name, alias);
    let s = from ?? (await this.legacy(name, alias));
    for (const e of await this.read(keys.filter((k) => seqOf(k) > s.seq))) s = apply(s, e);
    return s;
  }

  /**
   * The alias's version, cheaply (servers poll it): the head pointer, trusted when no event follows
   * the one it names; else the last event (every event records the version it leaves).
   */
  async version(name: string, alias: string): Promise<number | undefined> {
    const head = await getJson<Head>(this.store, this.headKey(name, alias));
    if (head && !(await this.store.exists(this.eventKey(name, alias, head.seq + 1)))) return head.version ?? undefined;
    const last = (await this.eventKeys(name, alias)).at(-1);
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
      const s = await this.snapshot(name, alias);
      const d = decide(s, change);
      if ('refused' in d) return { changed: false, reason: d.refused, state: s };
      const seq = s.seq + 1;
      const event: AliasEvent = { ...d, seq, at: new Date().toISOString() };
      const { created } = await putJson(this.store, this.eventKey(name, alias, seq), event, { ifAbsent: true });
      if (created || (await this.isOurs(name, alias, event))) {
        // Exact: this writer holds number `seq`, decided on every event before it.
        const after = apply(s, event);
        await putJson(this.store, this.headKey(name, alias), { seq, version: event.to, snapshot: after } satisfies Head);
        return { changed: true, event, state: after };
      }
      // Another writer took this number: back off a little (jittered) and decide again on its result.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 + attempt * 2)));
    }
    throw new Error(`alias ${name}/${alias} is changing too often: gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * Whether the event at `event.seq` is this very one: an S3 client that retried a create whose
   * first attempt succeeded but whose answer was lost gets 412 from its own write. Taking that as a
   * lost race would append the same change twice.
   */
  private async isOurs(name: string, alias: string, event: AliasEvent): Promise<boolean> {
    const there = await getJson<AliasEvent>(this.store, this.eventKey(name, alias, event.seq));
    return JSON.stringify(there) === JSON.stringify(event);
  }

  /** Stores from before the log kept `<alias>.history.json` (every version, oldest first): read as promotions. */
  private async legacy(name: string, alias: string): Promise<AliasSnapshot> {
    const history = (await getJson<{ version: number; at: string }[]>(this.store, `models/${name}/aliases/${alias}.history.json`)) ?? [];
    let s = EMPTY;
    for (const h of history) s = apply(s, { seq: 0, action: 'promote', from: s.version ?? null, to: h.version, pinned: false, by: 'unknown (before the audit log)', why: '', at: h.at });
    return s;
  }
}
