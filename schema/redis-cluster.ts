/**
 * TM_REDIS_CLUSTER: the seed nodes of a Redis Cluster, comma-separated `host:port` or
 * `redis://[user:password@]host:port` (`rediss://` for TLS). The client learns the other nodes from
 * them. Credentials and TLS of the first URL apply to every node (a cluster shares them).
 */
export interface ClusterSeeds {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function seed(item: string): { host: string; port: number; url?: URL } | string {
  if (/^rediss?:\/\//.test(item)) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      return 'a redis:// node is not a valid URL';
    }
    const port = Number(url.port || 6379);
    return url.hostname ? { host: url.hostname.replace(/^\[|\]$/g, ''), port, url } : 'a redis:// node lacks its host';
  }
  const m = HOST_PORT.exec(item);
  if (!m) return `"${item}" is not host:port or redis://host:port`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `port ${port} of ${m[1]} is out of 1-65535`;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** The seeds of a TM_REDIS_CLUSTER value, or why it is refused (never echoing a password). */
export function parseClusterSeeds(value: string): ClusterSeeds | { error: string } {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) return { error: 'needs at least one host:port' };
  const seeds: ClusterSeeds = { nodes: [], tls: false };
  let first: URL | undefined;
  for (const item of items) {
    const s = seed(item);
    if (typeof s === 'string') return { error: s.replace(/[^\s"/]*@/, '***@') };
    seeds.nodes.push({ host: s.host, port: s.port });
    first ??= s.url;
  }
  if (first) {
    seeds.tls = first.protocol === 'rediss:';
    if (first.username) seeds.username = decodeURIComponent(first.username);
    if (first.password) seeds.password = decodeURIComponent(first.password);
  }
  return seeds;
}

/** The nodes as `host:port, ...` for logs and messages (no credentials). */
export const describeSeeds = (s: ClusterSeeds): string => s.nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(', ');

