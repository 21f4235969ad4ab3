import type { Job } from 'bullmq';
import type { Logger } from 'pino';

/** A job's logger: the worker's, with its queue, job id and the id of the HTTP request that enqueued it. */
export function jobLogger(log: Logger, queue: string, job: Pick<Job, 'id' | 'data'> | undefined): Logger {
  const requestId = (job?.data as { requestId?: unknown } | undefined)?.requestId;
  return log.child({ queue, jobId: job?.id, ...(typeof requestId === 'string' ? { requestId } : {}) });
}
