import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { jobLogger } from './job-log.js';

describe('jobLogger', () => {
  it("tags a job's log lines with its queue, id and the request id that enqueued it", () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(new Writable({ write: (chunk, _e, done) => done(void lines.push(JSON.parse(String(chunk)) as Record<string, unknown>)) }));
    jobLogger(log, 'tm-ingest', { id: 'run-1-ingest', data: { run: {}, requestId: 'req-9' } }).info('job started');
    jobLogger(log, 'predict', { id: 'b-chunk-0', data: { batchId: 'b' } }).warn({ err: 'boom' }, 'job failed');
    jobLogger(log, 'predict', undefined).warn('job failed');
    expect(lines[0]).toMatchObject({ queue: 'tm-ingest', jobId: 'run-1-ingest', requestId: 'req-9', msg: 'job started' });
    expect(lines[1]).toMatchObject({ queue: 'predict', jobId: 'b-chunk-0', err: 'boom' });
    expect(lines[1]).not.toHaveProperty('requestId');
    expect(lines[2]).toMatchObject({ queue: 'predict', msg: 'job failed' });
  });
});
