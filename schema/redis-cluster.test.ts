import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { describeSeeds, parseClusterSeeds } from './redis-cluster.js';

describe('TM_REDIS_CLUSTER seed nodes', () => {
  it('reads host:port lists and redis:// URLs, credentials and TLS from the first URL', () => {
    expect(parseClusterSeeds('10.0.0.1:7000, redis-b:7001,[::1]:7002')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
    });
    const s = parseClusterSeeds('rediss://default:p%40ss@a:6380,b:6381');
    expect(s).toEqual({ nodes: [{ host: 'a', port: 6380 }, { host: 'b', port: 6381 }], tls: true, username: 'default', password: 'p@ss' });
    expect(describeSeeds(s as Exclude<typeof s, { error: string }>)).toBe('a:6380, b:6381');
  });

  it.each([
    ['', /at least one/],
    ['a', /"a" is not host:port/],
    ['a:0', /port 0 of a is out of 1-65535/],
    ['a:99999', /out of 1-65535/],
  ])('refuses %j', (value, why) => {
    expect(parseClusterSeeds(value)).toEqual({ error: expect.stringMatching(why) });
  });

  it('never echoes a password it refuses', () => {
    const r = parseClusterSeeds('user:hunter2@host:7000');
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(() => loadConfig({ TM_REDIS_CLUSTER: 'user:hunter2@host:7000', TM_QUEUE_PREFIX: '{tm}' })).toThrow(/TM_REDIS_CLUSTER: "\*\*\*@host:7000" is not host:port/);
  });
});

describe('queue prefixes on a Redis Cluster', () => {
  it('requires a hash-tagged prefix with TM_REDIS_CLUSTER, naming the variable and the fix', () => {
    expect(() => loadConfig({ TM_REDIS_CLUSTER: 'a:7000' })).toThrow(ConfigError);
    expect(() => loadConfig({ TM_REDIS_CLUSTER: 'a:7000', TM_QUEUE_PREFIX: 'prod' })).toThrow(/TM_QUEUE_PREFIX: with TM_REDIS_CLUSTER it must be a hash tag such as \{prod\}/);
    expect(loadConfig({ TM_REDIS_CLUSTER: 'a:7000', TM_QUEUE_PREFIX: '{prod}' })).toMatchObject({ TM_REDIS_CLUSTER: 'a:7000', TM_QUEUE_PREFIX: '{prod}' });
  });

  it('accepts a hash tag on a single Redis too, and refuses half a brace', () => {
    expect(loadConfig({ TM_QUEUE_PREFIX: '{tm}' }).TM_QUEUE_PREFIX).toBe('{tm}');
    expect(() => loadConfig({ TM_QUEUE_PREFIX: '{tm' })).toThrow(/TM_QUEUE_PREFIX: letters, digits/);
    expect(() => loadConfig({ TM_QUEUE_PREFIX: 'a:b' })).toThrow(ConfigError);
    expect(() => loadConfig({ TM_QUEUE_PREFIX: '{a}{b}' })).toThrow(ConfigError);
  });
});
