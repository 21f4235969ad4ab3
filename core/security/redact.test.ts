import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactDeep, redactText, redactUri, uriHasSecret } from './redact.js';

describe('redactUri', () => {
  it.each([
    ['mongodb://tmuser:hunter2@db.example:27017/tm?authSource=admin', 'mongodb://tmuser:***@db.example:27017/tm?authSource=admin'],
    ['mongodb+srv://u:p%40ss@a.example,b.example/db', 'mongodb+srv://u:***@a.example,b.example/db'],
    ['https://user:ghp_token123@dagshub.com/o/r.mlflow', 'https://user:***@dagshub.com/o/r.mlflow'],
    ['https://ghp_token123@github.com/o/r', 'https://***@github.com/o/r'],
    ['s3://bucket/data.csv?X-Amz-Credential=AKIA123%2F2026&X-Amz-Signature=abc123&X-Amz-Expires=60', 's3://bucket/data.csv?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60'],
    ['https://h/x?token=t0k&api_key=k3y&access_token=a&page=2', 'https://h/x?token=***&api_key=***&access_token=***&page=2'],
    ['redis://:redispass@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
  ])('%s', (uri, redacted) => {
    expect(redactUri(uri)).toBe(redacted);
    expect(uriHasSecret(uri)).toBe(true);
  });

  it('leaves URIs without credentials alone', () => {
    for (const uri of ['s3://bucket/key.csv', 'mongodb://127.0.0.1/db', 'http://127.0.0.1:8080/docs', 'data/phishing.csv']) {
      expect(redactUri(uri)).toBe(uri);
      expect(uriHasSecret(uri)).toBe(false);
    }
  });

  it('never lets a generated password through, in a URI or in text around it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._~-]{6,24}$/), fc.stringMatching(/^[A-Za-z0-9]{8,30}$/), fc.constantFrom('mongodb', 'https', 'redis', 'amqp'), (user, password, scheme) => {
        const uri = `${scheme}://${user}:${password}@host.example:1234/db`;
        expect(redactUri(uri)).not.toContain(`:${password}@`);
        expect(redactText(`failed to read ${uri}: timeout`)).not.toContain(password);
      }),
    );
  });

  it('redacts every string of a log record, errors included', () => {
    const rec = redactDeep({ msg: 'x', source: { uri: 'mongodb://a:b1b2b3@h/db' }, list: ['https://t0ken@h'], err: new Error('cannot reach mongodb://a:b1b2b3@h/db') });
    expect(JSON.stringify(rec)).not.toMatch(/b1b2b3|t0ken/);
  });
});
