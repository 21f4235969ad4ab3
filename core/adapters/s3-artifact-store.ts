import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { ArtifactBody, ArtifactStore } from '../ports/artifact-store.js';
import { checkKey } from './keys.js';

/** Objects above this size go up in parts (S3's multipart upload). */
const MULTIPART_BYTES = 16 * 1024 * 1024;

const missing = (err: unknown) => err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404);

/**
 * Artifacts in an S3 bucket (AWS, MinIO, any S3-compatible server) under an optional prefix. An
 * S3 PUT is atomic: readers see the old object or the new one, never part of one. `ifAbsent` is a
 * conditional write (If-None-Match: *), which S3 and MinIO enforce.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly prefix: string;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    prefix = '',
  ) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
  }

  get location(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private key(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: ArtifactBody, opts: { ifAbsent?: boolean } = {}): Promise<{ created: boolean }> {
    // Parts go up as a stream: Upload buffers one part (MULTIPART_BYTES) at a time, not the whole object.
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : Array.isArray(body) ? Readable.from(body, { objectMode: false }) : (body as Uint8Array);
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: this.key(key), Body: bytes, ...(opts.ifAbsent ? { IfNoneMatch: '*' } : {}) },
        partSize: MULTIPART_BYTES,
        queueSize: 2,
      });
      await upload.done();
      return { created: true };
    } catch (err) {
      const status = (err as S3ServiceException).$metadata?.httpStatusCode;
      if (opts.ifAbsent && (status === 412 || status === 409)) return { created: false };
      throw err;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return await out.Body!.transformToByteArray();
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.prefix ? `${this.prefix}/${prefix}` : prefix;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(this.prefix ? o.Key.slice(this.prefix.length + 1) : o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }
}

/** Splits s3://bucket/some/key into bucket and key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}
