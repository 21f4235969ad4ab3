/**
 * Where a file of a run goes when its artifact URI is proxied by the tracking server
 * (`mlflow-artifacts:`), resolved the way MLflow's own client does: the URI's host and port (when
 * it names one, `mlflow-artifacts://host:port/path`) on the tracking URI's scheme, else the
 * tracking server itself (`mlflow-artifacts:/path`); the path goes under the tracking URI's own path
 * (a DagsHub `.../<repo>.mlflow`) then `/api/2.0/mlflow-artifacts/artifacts/`.
 * Returns undefined for other URIs (`s3://...`, which the caller writes itself).
 *
 * @example proxiedArtifactUrl('http://mlflow:5000', 'mlflow-artifacts:/1/abc/artifacts', 'model/MLmodel')
 * // 'http://mlflow:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel'
 */
export function proxiedArtifactUrl(trackingUri: string, artifactUri: string, path: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/([^/?#]*))?(\/[^?#]*)?$/.exec(artifactUri);
  if (!m) return undefined;
  const [, authority, rootPath = '/'] = m;
  const tracking = new URL(trackingUri);
  if (authority !== undefined && authority !== '') {
    if (authority.includes('@')) throw new Error(`artifact URI ${artifactUri.replace(/\/\/[^@]*@/, '//***@')} carries credentials: refused`);
    if (/^:\d*$/.test(authority)) throw new Error(`artifact URI ${artifactUri} names a port without a host`);
    tracking.host = authority;
  }
  const segments = [...tracking.pathname.split('/'), 'api', '2.0', 'mlflow-artifacts', 'artifacts', ...decodePath(rootPath), ...path.split('/')].filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.')) throw new Error(`artifact path ${rootPath}/${path} leaves the run's artifacts`);
  return `${tracking.protocol}//${tracking.host}/${segments.map(encodeURIComponent).join('/')}`;
}

/** The segments of a URI path, percent-decoded (the URI may hold `%20`; the URL encodes once). */
function decodePath(path: string): string[] {
  return path.split('/').map((s) => decodeURIComponent(s));
}
