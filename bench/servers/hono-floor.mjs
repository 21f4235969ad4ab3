// Copied from ../shared/baselines/hono_floor_server.mjs (the baseline's bare Hono server) so bench:api runs without ../shared.
// Hono "floor" server: same routes/bodies as the FastAPI baseline, no model.
// POST /predict parses the JSON body and returns a constant answer;
// POST /predict/batch parses {"rows": [...]} and returns one constant answer per row.
// Run: PORT=8100 node server.mjs   (binds 127.0.0.1 only)
// Deps (npm): hono 4.13.19, @hono/node-server 2.1.8.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env.PORT || 8100);
const app = new Hono();

app.get('/health', (c) => c.json({ status: 'ok' }));

app.post('/predict', async (c) => {
  const body = await c.req.json();
  const f = body && body.features;
  if (!f || typeof f !== 'object') return c.json({ error: 'features required' }, 422);
  return c.json({ prediction: 1, probability: 0.5 });
});

app.post('/predict/batch', async (c) => {
  const body = await c.req.json();
  const rows = body && body.rows;
  if (!Array.isArray(rows)) return c.json({ error: 'rows required' }, 422);
  const n = rows.length;
  return c.json({
    predictions: new Array(n).fill(1),
    probabilities: new Array(n).fill(0.5),
    count: n,
  });
});

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  console.log(`hono floor listening on http://${info.address}:${info.port} (pid ${process.pid})`);
});
