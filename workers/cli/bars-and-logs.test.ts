import { describe, expect, it } from 'vitest';
import { BarsAndLogs } from './bars-and-logs.js';

/** The lines a terminal shows after `written`, for the escapes the bars use (cursor up, erase below, erase line). */
function screen(written: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  const esc = String.fromCharCode(27);
  for (const m of written.matchAll(new RegExp(`${esc}\\[(\\d*)([AJK])|\\n|[^${esc}\\n]+`, 'g'))) {
    if (m[0] === '\n') {
      row++;
      if (rows.length <= row) rows.push('');
    } else if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
    else if (m[2] === 'J') {
      rows.splice(row + 1);
      rows[row] = '';
    }
    else if (m[2] === 'K') rows[row] = '';
    else rows[row] += m[0];
  }
  return rows.filter((r, i) => r !== '' || i < rows.length - 1);
}

describe('BarsAndLogs', () => {
  it('prints log lines above the bars and keeps the bars whole below them', () => {
    let out = '';
    const area = new BarsAndLogs({ write: (s: string | Uint8Array) => ((out += String(s)), true) });
    area.setBars(['ingest  50%', 'train    0%']);
    area.log('{"msg":"job started"}\n');
    area.setBars(['ingest 100%', 'train   10%']);
    area.stream().write('{"msg":"job completed"}\n');
    area.log('no newline');
    expect(screen(out)).toEqual(['{"msg":"job started"}', '{"msg":"job completed"}', 'no newline', 'ingest 100%', 'train   10%']);
    area.release();
    area.log('after the run\n');
    expect(screen(out).slice(-3)).toEqual(['ingest 100%', 'train   10%', 'after the run']);
  });
});
