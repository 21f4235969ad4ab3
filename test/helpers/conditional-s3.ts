import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * A minimal S3 server (path-style PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2 on
 * one in-memory bucket) that enforces conditional writes as S3 does: `If-None-Match: *` fails with
 * 412 when the key exists, `If-Match: <etag>` with 412 unless the object exists with that ETag.
 * s3rver ignores both, so it cannot show that create-if-absent holds between processes. Each
 * request's check and write happen in one turn of the event loop, after its whole body arrived:
 * requests are serialised as S3 serialises writes to one key. No multipart, no auth check.
 */
export async function startConditionalS3(bucket: string): Promise<{ endpoint: string; client: S3Client; requests: { method: string; status: number }[]; stop(): Promise<void> }> {
  const objects = new Map<string, { body: Buffer; etag: string }>();
  const requests: { method: string; status: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = handle(req, res, Buffer.concat(chunks));
      requests.push({ method: req.method ?? '', status });
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): number {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, b, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (b !== bucket) return reply(res, 404, xmlError('NoSuchBucket', `no bucket ${b}`));
    if (req.method === 'GET' && !key) return list(res, url.searchParams);
    const obj = objects.get(key);
    switch (req.method) {
      case 'PUT': {
        const ifNoneMatch = req.headers['if-none-match'];
        const ifMatch = req.headers['if-match'];
        if (ifNoneMatch === '*' && obj) return reply(res, 412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'));
        if (ifMatch !== undefined && (!obj || (ifMatch !== '*' && ifMatch !== obj.etag))) {
          return reply(res, obj ? 412 : 404, xmlError(obj ? 'PreconditionFailed' : 'NoSuchKey', 'If-Match did not hold'));
        }
        const body = isChunked(req) ? decodeAwsChunked(raw) : raw;
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        objects.set(key, { body, etag });
        res.setHeader('ETag', etag);
        return reply(res, 200, '');
      }
      case 'GET':
      case 'HEAD':
        if (!obj) return reply(res, 404, req.method === 'GET' ? xmlError('NoSuchKey', 'The specified key does not exist.') : '');
        res.setHeader('ETag', obj.etag);
        res.setHeader('Content-Length', obj.body.length);
        res.writeHead(200);
        res.end(req.method === 'GET' ? obj.body : undefined);
        return 200;
      case 'DELETE':
        objects.delete(key);
        return reply(res, 204, '');
      default:
        return reply(res, 405, xmlError('MethodNotAllowed', String(req.method)));
    }
  }

  function list(res: ServerResponse, q: URLSearchParams): number {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
    const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const contents = page.map((k) => `<Contents><Key>${esc(k)}</Key><ETag>${esc(objects.get(k)!.etag)}</ETag><Size>${objects.get(k)!.body.length}</Size></Contents>`).join('');
    const next = truncated ? `<NextContinuationToken>${esc(page.at(-1)!)}</NextContinuationToken>` : '';
    return reply(res, 200, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'TEST', secretAccessKey: 'TEST' } });
  return {
    endpoint,
    client,
    requests,
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: string): number {
  if (body) res.setHeader('Content-Type', 'application/xml');
  res.writeHead(status);
  res.end(body);
  return status;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlError = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`;

function isChunked(req: IncomingMessage): boolean {
  return String(req.headers['content-encoding'] ?? '').includes('aws-chunked') || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
}

/** The payload of an aws-chunked body: `<hex size>[;ext]\r\n<bytes>\r\n` until size 0, then trailers. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0], 16);
    if (!size) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
