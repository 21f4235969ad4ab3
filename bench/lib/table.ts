/** Plain fixed-width table for terminal output. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
export const int = (x: number) => Math.round(x).toLocaleString('en-US');
