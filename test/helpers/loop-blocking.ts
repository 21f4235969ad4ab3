import { monitorEventLoopDelay } from 'node:perf_hooks';

const TICK_MS = 5;

/**
 * Watches how long the event loop is held by one piece of work, between ticks of a 5 ms timer.
 * Wall time between ticks overstates a hold when the OS runs other processes (a loaded, shared
 * machine); this process's CPU time overstates it when its other threads work (GC, the kernel
 * moving socket data). A hold of H ms raises both by H, so the smaller of the two, per tick, is
 * still an upper bound of the hold: `holdMs` is its worst. `wallMs` is monitorEventLoopDelay's max.
 */
export function watchLoopBlocking(): { stop(): { holdMs: number; wallMs: number } } {
  const histogram = monitorEventLoopDelay({ resolution: TICK_MS });
  histogram.enable();
  let lastCpu = process.cpuUsage();
  let lastWall = performance.now();
  let worst = 0;
  const tick = () => {
    const cpu = process.cpuUsage(lastCpu);
    const wall = performance.now();
    worst = Math.max(worst, Math.min((cpu.user + cpu.system) / 1000, wall - lastWall - TICK_MS));
    lastCpu = process.cpuUsage();
    lastWall = wall;
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    stop() {
      tick();
      clearInterval(timer);
      histogram.disable();
      return { holdMs: worst, wallMs: histogram.max / 1e6 };
    },
  };
}
