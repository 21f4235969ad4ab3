import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { changeThreshold, ThresholdChangeError, type ThresholdRequest } from '../../core/decision/change-threshold.js';
import { ruleText } from '../../core/decision/threshold-rule.js';
import type { Config } from '../../schema/index.js';
import { ModelChanges } from '../model-changes.js';
import { redisConnection } from '../queues.js';
import { stageDepsFrom } from '../wiring.js';

export const THRESHOLD_USAGE = `usage: threatmatrix models threshold <version>                 the threshold, how it was chosen, every change
       threatmatrix models threshold <version> <value>         set it (0..1): score >= value is a threat
       threatmatrix models threshold <version> --max-fpr x | --min-recall x | --min-precision x | --max-f1
                                       choose it again by a rule on the version's out-of-fold scores
       [--name m] [--note why]
`;

const RULE_OPTIONS = { 'max-fpr': 'maxFalsePositiveRate', 'min-recall': 'minRecall', 'min-precision': 'minPrecision' } as const;

/** `threatmatrix models threshold`: shows or changes a version's threat threshold (audited), and tells the API processes. */
export async function thresholdCommand(argv: string[], config: Config): Promise<number> {
  const { values: a, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string', default: config.TM_MODEL_NAME }, note: { type: 'string' }, 'max-fpr': { type: 'string' }, 'min-recall': { type: 'string' }, 'min-precision': { type: 'string' }, 'max-f1': { type: 'boolean' } },
  });
  const usage = (problem: string) => {
    process.stderr.write(`${problem}\n${THRESHOLD_USAGE}`);
    return 2;
  };
  const version = Number(positionals[0]);
  if (!Number.isInteger(version) || version < 1) return usage(`<version>: must be a version number, got ${positionals[0] ?? 'nothing'}`);
  const rate = (text: string) => {
    const v = Number(text);
    return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
  };
  const requests: ThresholdRequest[] = [];
  if (positionals[1] !== undefined) {
    const v = rate(positionals[1]);
    if (v === undefined) return usage(`<value>: must be a number from 0 to 1, got ${positionals[1]}`);
    requests.push({ threshold: v });
  }
  for (const [flag, key] of Object.entries(RULE_OPTIONS)) {
    const text = a[flag as keyof typeof RULE_OPTIONS];
    if (text === undefined) continue;
    const v = rate(text);
    if (v === undefined) return usage(`--${flag}: must be a number from 0 to 1, got ${text}`);
    requests.push({ rule: { [key]: v } as never });
  }
  if (a['max-f1']) requests.push({ rule: { maxF1: true } });
  if (requests.length > 1) return usage('give one of <value>, --max-fpr, --min-recall, --min-precision, --max-f1');
  const { registry, store } = stageDepsFrom(config);
  const name = a.name!;
  if (!requests.length) {
    const [state, found] = await Promise.all([registry.thresholdState(name, version), registry.get(name, version)]);
    if (!state || !found) {
      process.stderr.write(`${name} has no version ${version}\n`);
      return 1;
    }
    const op = found.manifest.operatingPoint;
    const trained = op ? `${op.threshold} by ${ruleText(op.rule)} on ${op.chosenOn} scores (test: FPR ${op.test.fpr.toFixed(4)}, recall ${op.test.recall.toFixed(4)}, precision ${op.test.precision.toFixed(4)}; calibration ${op.calibration.method})` : '0.5 (a version from before thresholds were chosen)';
    process.stdout.write(`trained: ${trained}\n`);
    for (const e of state.events) process.stdout.write(`${e.at}  ${e.from} -> ${e.to}  by ${e.by}: ${e.why}\n`);
    process.stdout.write(`${name} v${version} threshold: ${state.threshold}\n`);
    return 0;
  }
  try {
    const r = await changeThreshold(registry, store, name, version, requests[0], { by: `cli:${userInfo().username}`, why: a.note });
    process.stdout.write(`${name} v${version} threshold ${r.event.from} -> ${r.event.to}${r.chosen ? ` (${r.event.why})` : ''}\n`);
  } catch (err) {
    if (!(err instanceof ThresholdChangeError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  await announce(config, name);
  return 0;
}

/** Tells running API processes (best effort, within 2 s: they poll the registry anyway). */
async function announce(config: Config, name: string): Promise<void> {
  const conn = redisConnection(config, 'producer');
  conn.on('error', () => undefined);
  try {
    await Promise.race([new ModelChanges(conn, config.TM_QUEUE_PREFIX).announce(name), new Promise((r) => setTimeout(r, 2_000).unref())]);
  } catch {
    process.stderr.write('Redis unreachable: API processes pick the new threshold up at their next poll\n');
  } finally {
    conn.disconnect();
  }
}
