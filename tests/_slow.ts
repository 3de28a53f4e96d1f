/**
 * How much slower than on an idle machine the tests run now: the load average per core (the larger
 * of the 1- and 5-minute averages), at least 1, at most 20. Timing-bound tests scale their hang
 * guards by it (how long a condition that should come is waited for), so a busy machine (load 15 on
 * 2 cores: ×7.5) does not fail them, while a condition that never comes still fails them.
 */
export function slowdown(): number {
  const [one, five] = Deno.loadavg();
  const cores = navigator.hardwareConcurrency || 1;
  return Math.min(20, Math.max(1, Math.max(one, five) / cores));
}

/** `ms` scaled by {@link slowdown}, measured now. */
export function patient(ms: number): number {
  return Math.round(ms * slowdown());
}
