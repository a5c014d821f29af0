/** One benchmark result line. */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  medianUs?: number;
  p99Us?: number;
  note?: string;
}

/**
 * Runs `fn` repeatedly for about `seconds` after a warm-up and reports throughput and the
 * latency median/p99 of single calls. Synchronous and async functions both work.
 */
export async function measure(
  name: string,
  fn: () => unknown,
  options: { seconds?: number; warmup?: number; note?: string } = {},
): Promise<BenchResult> {
  const seconds = options.seconds ?? 1.5;
  for (let i = 0; i < (options.warmup ?? 200); i += 1) await fn();
  const samples: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let now = started;
  while (now < deadline) {
    const before = performance.now();
    await fn();
    now = performance.now();
    samples.push(now - before);
  }
  return summarise(name, samples, now - started, options.note);
}

/** Summarises per-call latencies (ms) measured over `elapsedMs`. */
export function summarise(
  name: string,
  samples: number[],
  elapsedMs: number,
  note?: string,
): BenchResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 1000;
  return {
    name,
    opsPerSec: Math.round((samples.length / elapsedMs) * 1000),
    medianUs: Math.round(at(0.5)),
    p99Us: Math.round(at(0.99)),
    ...(note ? { note } : {}),
  };
}

/** Prints results as an aligned table. */
export function printTable(title: string, results: BenchResult[]): void {
  console.log(`\n## ${title}`);
  const width = Math.max(...results.map((r) => r.name.length), 10);
  console.log(
    `${'benchmark'.padEnd(width)}  ${'ops/s'.padStart(10)}  ${'median µs'.padStart(10)}  ${'p99 µs'.padStart(10)}  note`,
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(width)}  ${String(r.opsPerSec).padStart(10)}  ${String(r.medianUs ?? '').padStart(10)}  ${String(r.p99Us ?? '').padStart(10)}  ${r.note ?? ''}`,
    );
  }
}
