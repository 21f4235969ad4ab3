import { Rng } from '../../core/data/rng.js';
import type { DatasetSchemaInput } from '../../schema/index.js';

/**
 * A generated attack-category dataset: two numeric and two categorical string features, three
 * classes (benign, scan, dos). Each class shifts the numbers and favours some categories, with
 * noise, so a sensible model beats chance (macro-F1 1/3) by a wide margin but not perfectly.
 */
export function attackDataset(rows: number, seed = 1): { csv: string; schema: DatasetSchemaInput } {
  const rng = new Rng(seed);
  const protocols = ['tcp', 'udp', 'icmp'];
  const services = ['http', 'dns', 'ssh', 'smtp'];
  const classes = ['benign', 'scan', 'dos'];
  const lines = ['flow_id,bytes,duration,protocol,service,label'];
  for (let i = 0; i < rows; i++) {
    const c = rng.int(3);
    const bytes = [500, 60, 4000][c] * Math.exp(0.6 * rng.normal());
    const duration = Math.max(0, [2, 0.1, 8][c] + rng.normal());
    const protocol = rng.next() < 0.6 ? protocols[c] : protocols[rng.int(3)];
    const service = rng.next() < 0.5 ? services[c] : services[rng.int(4)];
    lines.push(`${i},${bytes.toFixed(1)},${duration.toFixed(3)},${protocol},${service},${classes[c]}`);
  }
  const schema: DatasetSchemaInput = {
    name: 'attacks',
    features: [
      { name: 'bytes', kind: 'numeric', min: 0 },
      { name: 'duration', kind: 'numeric', min: 0 },
      { name: 'protocol', kind: 'categorical', values: protocols },
      { name: 'service', kind: 'categorical', values: services, encoding: 'ordinal' },
    ],
    label: { name: 'label', classes, threat: ['dos', 'scan'] },
    ignore: ['flow_id'],
  };
  return { csv: `${lines.join('\n')}\n`, schema };
}
