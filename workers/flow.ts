import { FlowProducer, type FlowJob, type JobNode } from 'bullmq';
import type { Redis } from 'ioredis';
import { RunSpec, withDeadline, type RunSpecInput, type StageName } from '../schema/jobs.js';
import { QUEUE_OF, jobOptionsFor } from './queues.js';
import { quietRedis } from './redis-errors.js';

/**
 * A run as one flow. Children run before their parent, so the chain is nested with the first
 * stage deepest: register <- train <- transform <- validate <- ingest. The train job fans out one
 * train-family child per model family when it runs (see processors).
 */
export function runFlow(run: RunSpec, prefix: string): FlowJob {
  const node = (stage: StageName, children?: FlowJob[]): FlowJob => ({
    name: stage,
    queueName: QUEUE_OF[stage],
    data: { run },
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
    connection: Redis,
    private readonly prefix: string,
  ) {
    this.flows = quietRedis(new FlowProducer({ connection, prefix }));
  }

  /** Enqueues a run, its time budget turned into a deadline carried by every job; returns the root (register) job. */
  async enqueue(input: RunSpecInput): Promise<JobNode> {
    return this.flows.add(runFlow(withDeadline(RunSpec.parse(input)), this.prefix));
  }

  close(): Promise<void> {
    return this.flows.close();
  }
}
