import type { SourceSpec } from '../../schema/jobs.js';

/** What a secret is replaced with. */
export const MASK = '***';

// Query parameters that carry credentials: presigned S3 URLs (X-Amz-*), SAS and API tokens, passwords.
const SECRET_PARAM =
  /^(x-amz-(signature|credential|security-token)|awsaccesskeyid|signature|sig|(access[-_]?|id[-_]?|auth[-_]?|refresh[-_]?|session[-_]?)?token|password|passwd|pwd|pass|secret|client[-_]?secret|api[-_]?key|apikey|access[-_]?key([-_]?id)?|secret[-_]?(access[-_]?)?key|private[-_]?key|key)$/i;
const URI = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * A URI without its credentials: the password of `scheme://user:password@host` (the user too
 * when it stands alone, `https://token@host`), and the values of credential query parameters.
 * Written by hand, not with URL: MongoDB's `host1,host2` lists and odd schemes must not escape it.
 */
export function redactUri(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(uri);
  if (!m) return uri;
  const [, scheme, userinfo = '', rest, query = '', fragment = ''] = m;
  let who = userinfo;
  if (userinfo) {
    const info = userinfo.slice(0, -1);
    const colon = info.indexOf(':');
    who = `${colon >= 0 ? `${info.slice(0, colon)}:${MASK}` : MASK}@`;
  }
  const q = query
    ? `?${query
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          const name = eq < 0 ? pair : pair.slice(0, eq);
          let decoded = name;
          try {
            decoded = decodeURIComponent(name);
          } catch {
            // not percent-encoded text: judged as is
          }
          return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=${MASK}` : pair;
        })
        .join('&')}`
    : '';
  return `${scheme}${who}${rest}${q}${fragment}`;
}

/** Whether a URI carries credentials that redactUri removes. */
export const uriHasSecret = (uri: string): boolean => redactUri(uri) !== uri;

/** Text with every URI in it redacted (log lines, error messages). */
export const redactText = (text: string): string => (text.includes('://') ? text.replace(URI, (u) => redactUri(u)) : text);

/** A value (a log record) with every string in it passed through redactText; unchanged values are kept as they are. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { ...redactDeep({ ...value }, depth + 1), type: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) } as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out as T;
}

/** A run (or anything with a source) with the credentials of its data URI removed, for storing and showing. */
export function withoutCredentials<R extends { source: SourceSpec }>(run: R): R {
  const { source } = run;
  if (source.kind === 'csv') return run;
  const { heldSecret: _held, ...rest } = source;
  return { ...run, source: { ...rest, uri: redactUri(source.uri) } };
}
