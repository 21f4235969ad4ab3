/** A value as one CSV field: quoted (with quotes doubled) only when it holds a quote, comma or newline. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
