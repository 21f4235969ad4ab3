import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/adapters/local-artifact-store.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { putJson } from '../core/artifacts/json.js';
import { runKeys } from '../core/pipeline/run-keys.js';
import { RunId } from '../schema/jobs.js';
import { batchJobId, familyOfJob, feedbackRunId, isJobOfRun, listRuns, newRunId, scheduledRunId, stageJobId, storedRunIds } from './run-jobs.js';

describe('run and job ids', () => {
  it('makes run ids BullMQ and the API accept: no colon, never all digits, unique', () => {
    const ids = [newRunId(), newRunId('nightly'), scheduledRunId(1_796_014_512_270)];
    for (const id of ids) {
      expect(id).not.toMatch(/:|^\d+$/);
      expect(RunId.safeParse(id).success, id).toBe(true);
    }
    expect(ids[0]).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(newRunId()).not.toBe(newRunId());
  });

  it('gives a monitor window one feedback run id per model, a valid run id even for a long model name', () => {
    const w = '1796014500000-1796014800000-v12';
    expect(feedbackRunId('phishing', w)).toBe(`feedback-${w}-phishing`);
    expect(feedbackRunId('phishing', w)).toBe(feedbackRunId('phishing', w));
    const long = ['a'.repeat(60), `${'a'.repeat(59)}b`].map((m) => feedbackRunId(m, w));
    expect(long[0]).not.toBe(long[1]);
    for (const id of [...long, feedbackRunId('phishing', w)]) expect(RunId.safeParse(id).success, id).toBe(true);
  });

  it('builds stage, family and batch job ids and reads them back', () => {
    const run = 'run-20260101-120000-a1b2c3';
    expect(stageJobId(run, 'register')).toBe(`${run}-register`);
    const knn = stageJobId(run, 'train-family', 'knn');
    expect(knn).toBe(`${run}-train-family-knn`);
    expect(familyOfJob(knn)).toBe('knn');
    expect(familyOfJob(`{tm}:train-family:${stageJobId(run, 'train-family', 'random_forest')}`)).toBe('random_forest');
    expect(familyOfJob(stageJobId(run, 'train'))).toBeUndefined();
    expect([isJobOfRun(knn, run), isJobOfRun(knn, 'run-20260101-120000-a1b2c')]).toEqual([true, false]);
    expect([batchJobId('b1'), batchJobId('b1', 0)]).toEqual(['b1-batch', 'b1-chunk-0']);
  });
});

describe('run listing', () => {
  it('lists each stored run once, finished and cancelled ones marked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-run-list-'));
    try {
      const store = new LocalArtifactStore(dir);
      await putJson(store, runKeys('run-a').spec, {});
      await putJson(store, runKeys('run-a').metrics, {});
      await putJson(store, runKeys('run-b').spec, {});
      await putJson(store, runKeys('run-b').cancelled, { at: 'now', reason: 'test' });
      await putJson(store, runKeys('run-c').validation, {});
      expect((await storedRunIds(store)).sort()).toEqual(['run-a', 'run-b', 'run-c']);
      expect((await listRuns(store)).sort((x, y) => x.runId.localeCompare(y.runId))).toEqual([
        { runId: 'run-a', finished: true, cancelled: false },
        { runId: 'run-b', finished: false, cancelled: true },
        { runId: 'run-c', finished: false, cancelled: false },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
