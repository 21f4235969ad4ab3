const decoder = new TextDecoder();

/** The values of an NDJSON text (one JSON value a line; empty lines skipped). */
export function parseNdjson<T>(bytes: Uint8Array): T[] {
  const text = decoder.decode(bytes);
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return rows;
}
