/** Runs `count` jobs with at most `concurrency` in flight; returns wall time and each job's latency. */
export async function runConcurrently(count: number, concurrency: number, job: (i: number) => Promise<unknown>): Promise<{ wallMs: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  async function lane(): Promise<void> {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await job(i);
      latenciesMs.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { wallMs: performance.now() - started, latenciesMs };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(label: string, count: number, { wallMs, latenciesMs }: { wallMs: number; latenciesMs: number[] }) {
  const perSecond = count / (wallMs / 1000);
  return { label, count, wallMs: Math.round(wallMs), perSecond: Number(perSecond.toFixed(2)), p50Ms: Math.round(percentile(latenciesMs, 50)), p99Ms: Math.round(percentile(latenciesMs, 99)) };
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 with the error otherwise (workers and servers may keep handles open). */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
