import { describe, expect, it } from 'vitest';
import { CsvScanner, fieldText, linesIn } from './csv-scanner.js';

/** Records as [line, fields, numbers] from `text` fed in chunks of `size` bytes. */
function scan(text: string | Buffer, size = Infinity): [number, string[], number[]][] {
  const out: [number, string[], number[]][] = [];
  const scanner = new CsvScanner((f, line) => {
    const fields = Array.from({ length: f.count }, (_, i) => fieldText(f, i));
    out.push([line, fields, Array.from(f.number.subarray(0, f.count))]);
  });
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let at = 0; at < bytes.length; at += Math.min(size, bytes.length)) scanner.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
  scanner.end();
  return out;
}

const tricky = '\uFEFFa,b,c\r\n1,"x, ""y""\r\nz",-2.5e1\r\n\r\n"3",,""" "\r\n4,5,6';

describe('CsvScanner', () => {
  it('splits quoted fields with commas, newlines and doubled quotes; CRLF, BOM, empty lines; the line each record ends on', () => {
    const records = scan(tricky);
    expect(records.map(([line, fields]) => [line, fields])).toEqual([
      [1, ['a', 'b', 'c']],
      [3, ['1', 'x, "y"\r\nz', '-2.5e1']],
      [5, ['3', '', '" ']],
      [6, ['4', '5', '6']],
    ]);
  });

  it('reads plain decimals while scanning (NaN for quoted or other fields)', () => {
    const [, one, , last] = scan(tricky);
    expect(one[2]).toEqual([1, NaN, -25]);
    expect(last[2]).toEqual([4, 5, 6]);
  });

  it('gives the same records whatever the chunk size', () => {
    const whole = scan(tricky);
    for (const size of [1, 2, 3, 7]) expect(scan(tricky, size)).toEqual(whole);
  });

  it('refuses a quote inside an unquoted field, text after a closing quote and an unclosed quote, with the line', () => {
    expect(() => scan('a,b\n1,x"y\n')).toThrow(expect.objectContaining({ rule: 'csv-syntax', line: 2 }));
    expect(() => scan('a,b\n1,"x"y\n')).toThrow(/text after the closing quote/);
    expect(() => scan('a,b\n1,2\n3,"x\n\n')).toThrow(expect.objectContaining({ rule: 'csv-syntax', line: 5 }));
  });

  it('counts line breaks that start another record, not blank lines (the reader estimates rows from them)', () => {
    expect(linesIn(Buffer.from('a,b\n1,2\r\n3,4\n\n\r\n5,6\n'))).toBe(3);
    expect(linesIn(Buffer.from('\n\n\n'))).toBe(0);
  });
});
