import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, redisAnswers } from '../../api/cli/private-redis.js';

/** Why a local Redis Cluster cannot be started here (a binary is missing), or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  const missing = ['redis-server', 'redis-cli'].filter((bin) => spawnSync(bin, ['--version']).status !== 0);
  return missing.length ? `${missing.join(' and ')} not installed (apt-get install redis-server)` : undefined;
}

async function clusterStateOk(port: number): Promise<boolean> {
  const node = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  node.on('error', () => undefined);
  try {
    return /^cluster_state:ok\s*$/m.test(String(await node.cluster('INFO')));
  } catch {
    return false;
  } finally {
    node.disconnect();
  }
}

export interface LocalCluster {
  /** TM_REDIS_CLUSTER's value: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  nodes: string;
  ports: number[];
  /** Kills one master outright (SIGKILL): with no replica its slots go unserved. */
  killNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A throwaway Redis Cluster of `masters` redis-servers on free loopback ports (client and bus
 * ports both chosen, so parallel tests and the shared 6379 never collide), slots spread by
 * `redis-cli --cluster create`, nothing saved beyond a temp dir removed by stop().
 */
export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const kill = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => (c.once('exit', r), c.kill('SIGKILL'))));
  const stop = async () => {
    await Promise.all(children.map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const [port, bus] = [await freePort(), await freePort()];
      ports.push(port);
      const args = ['--port', String(port), '--cluster-port', String(bus), '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000'];
      children.push(spawn('redis-server', [...args, '--dir', dir, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
    }
    for (const port of ports) {
      let up = false;
      for (let i = 0; i < 100 && !(up = await redisAnswers(`redis://127.0.0.1:${port}`)); i++) await new Promise((r) => setTimeout(r, 100));
      if (!up) throw new Error(`redis-server --cluster-enabled did not come up on ${port}`);
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    // Every node must agree that all slots are served before a client can rely on it.
    let ok = false;
    for (let i = 0; i < 150 && !ok; i++) {
      ok = (await Promise.all(ports.map((p) => clusterStateOk(p)))).every(Boolean);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ok) throw new Error(`the cluster on ${nodes.join(', ')} did not reach cluster_state:ok`);
    return { nodes: nodes.join(','), ports, killNode: async (i) => void (await kill(children[i])), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
