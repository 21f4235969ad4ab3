import { describe, expect, it } from 'vitest';
import { ByteDictionary } from './byte-dictionary.js';

describe('ByteDictionary', () => {
  it('finds each value by its UTF-8 bytes inside a bigger buffer, and nothing else', () => {
    const values = Array.from({ length: 300 }, (_, i) => `c_${i}`).concat(['tcp', 'udp', 'ünïcode', '']);
    const dict = new ByteDictionary(values);
    const text = Buffer.from(`x,${values.join(',')},tcpx,tc,c_300`);
    let at = 2;
    values.forEach((v, i) => {
      const end = at + Buffer.byteLength(v);
      expect(dict.lookup(text, at, end)).toBe(i);
      at = end + 1;
    });
    for (const miss of ['tcpx', 'tc', 'c_300']) {
      const start = text.indexOf(miss, at);
      expect(dict.lookup(text, start, start + miss.length)).toBe(-1);
    }
  });

  it('gives a duplicated value its last index, as a Map built from the list would', () => {
    expect(new ByteDictionary(['a', 'b', 'a']).lookup(Buffer.from('a'), 0, 1)).toBe(2);
  });
});
