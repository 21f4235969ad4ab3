import { FlowProducer, type FlowJob, type JobNode } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { RequestId, RunSpec, withDeadline, type RunSpecInput, type StageName } from '../schema/jobs.js';
import { QUEUE_OF, jobOptionsFor } from './queues.js';
import { holdRunSecrets } from './run-secrets.js';
import { quietRedis } from './redis-errors.js';

/**
 * A run as one flow. Children run before their parent, so the chain is nested with the first
 * stage deepest: register <- train <- transform <- validate <- ingest. The train job fans out one
 * train-family child per model family when it runs (see processors).
 */
export function runFlow(run: RunSpec, prefix: string, requestId?: string): FlowJob {
  const node = (stage: StageName, children?: FlowJob[]): FlowJob => ({
    name: stage,
    queueName: QUEUE_OF[stage],
    data: requestId ? { run, requestId } : { run },
    prefix,
    opts: jobOptionsFor(stage, run),
    children,
  });
  return node('register', [node('train', [node('transform', [node('validate', [node('ingest')])])])]);
}

/** The producer the CLI and the API use to start runs. */
export class RunProducer {
  private readonly flows: FlowProducer;
  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
  ) {
    this.flows = quietRedis(new FlowProducer({ connection, prefix }));
  }

  /**
   * Enqueues a run, its time budget turned into a deadline carried by every job, credentials in its
   * data URI held apart; returns the root (register) job. `requestId`: the HTTP request that asked
   * for it, carried by every job.
   */
  async enqueue(input: RunSpecInput, requestId?: string): Promise<JobNode> {
    const run = await holdRunSecrets(this.connection, this.prefix, withDeadline(RunSpec.parse(input)));
    return this.flows.add(runFlow(run, this.prefix, requestId === undefined ? undefined : RequestId.parse(requestId)));
  }

  close(): Promise<void> {
    return this.flows.close();
  }
}
