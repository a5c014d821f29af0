/**
 * Issue 5: the HTTP service under load. Timeline entries are posted over HTTP by a separate
 * load-generator process (bench/http-load.ts) to a server on a temporary SQLite file; an entry
 * counts once its 201 came back, i.e. once it was processed and its group commit is on disk.
 *
 * Part of `npm run bench`; alone: `node --no-node-snapshot --import tsx bench/http.ts`.
 * `BENCH_HTTP_CONNECTIONS=8,32,64` (concurrency levels) and `BENCH_HTTP_SECONDS=5` (measured
 * seconds per level, after a 1 s warm-up) change the run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JsonObject, JsonValue } from '../src/model/json.js';
import { isJsonObject } from '../src/model/json.js';
import type { RunningServer } from '../src/http/start-server.js';
import { FIRST_ACCOUNT_EMAIL, startServer } from '../src/http/start-server.js';
import type { LoadConfig, LoadReport } from './http-load.js';
import type { BenchResult } from './measure.js';
import { printTable } from './measure.js';

/** Fixed so the load generator can be handed the key before the server has answered anything. */
const API_KEY = 'pd_test_bench_http_load_generator_key_0001';
/** Issue 5's target: entries/s at least, and p99 in ms at most. */
const TARGET = { entriesPerSec: 3000, p99Ms: 25 };

/** Options of {@link httpBenchmarks}. */
export interface HttpBenchOptions {
  /** One row per concurrency level (connections of the load generator). */
  connections: number[];
  seconds: number;
  warmupSeconds: number;
}

/** Defaults, overridden by BENCH_HTTP_CONNECTIONS and BENCH_HTTP_SECONDS. */
export function httpBenchOptions(env: NodeJS.ProcessEnv = process.env): HttpBenchOptions {
  const connections = (env.BENCH_HTTP_CONNECTIONS ?? '8,32,64')
    .split(',')
    .map((part) => Number(part.trim()))
    .filter((n) => Number.isSafeInteger(n) && n > 0);
  const seconds = Number(env.BENCH_HTTP_SECONDS ?? '5');
  return {
    connections: connections.length > 0 ? connections : [32],
    seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 5,
    warmupSeconds: 1,
  };
}

/** A counter incremented by every message on the first account's timeline; no JavaScript step. */
function counterDocument(run: string): string {
  return `name: HTTP Bench Counter ${run}
counter: 0
contracts:
  owner:
    type: MyOS Account
    email: ${FIRST_ACCOUNT_EMAIL}
  increment:
    type: Conversation/Sequential Workflow
    channel: owner
    steps:
      - name: Increment
        type: Conversation/Update Document
        changeset:
          - op: replace
            path: /counter
            val: "\${document('/counter') + 1}"
`;
}

async function call(
  server: RunningServer,
  method: 'GET' | 'POST',
  path: string,
  body?: { text: string; type: string },
): Promise<{ status: number; json: JsonObject }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': body.type }),
    },
    ...(body === undefined ? {} : { body: body.text }),
  });
  // Every answer of the API, errors included, is a JSON map.
  const json = (await response.json()) as JsonValue;
  if (!isJsonObject(json)) throw new Error(`${method} ${path}: the answer is not a map`);
  return { status: response.status, json };
}

function field(value: JsonValue, ...path: string[]): JsonValue | undefined {
  let at: JsonValue | undefined = value;
  for (const key of path) at = isJsonObject(at) ? at[key] : undefined;
  return at;
}

/** Runs the load generator in its own process and parses the report it prints. */
export function runLoad(config: LoadConfig): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'http-load.ts'), JSON.stringify(config)],
      // tsx is resolved from the repository root, as for npm run bench.
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
      else {
        try {
          resolve(JSON.parse(out) as LoadReport);
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

/** Nearest-rank quantile of ascending samples (as measure.ts's summarise). */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function failureText(failures: Record<string, number>): string {
  const parts = Object.entries(failures).map(([status, n]) => `${n}×${status}`);
  return parts.length === 0 ? '0' : parts.join(' ');
}

/** Reads the counter and the timeline head; both must equal the acknowledged entries. */
async function applied(
  server: RunningServer,
  documentId: string,
  timelineId: string,
): Promise<{ counter: unknown; headSequence: unknown }> {
  const document = await call(server, 'GET', `/blue/${documentId}`);
  const timeline = await call(server, 'GET', `/timelines/${timelineId}/entries?limit=1`);
  return { counter: document.json.counter, headSequence: timeline.json.headSequence };
}

/** One concurrency level on a fresh database: load, then check the count survived a restart. */
async function runLevel(connections: number, options: HttpBenchOptions): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'paydoc-bench-http-'));
  const db = join(dir, 'bench.sqlite');
  // No JavaScript step runs, so one sandbox worker is plenty; it idles.
  let server: RunningServer | undefined = await startServer({
    db,
    port: 0,
    apiKey: API_KEY,
    workers: 1,
  });
  try {
    const posted = await call(server, 'POST', '/blue', {
      text: counterDocument(`${connections}`),
      type: 'application/yaml',
    });
    const documentId = field(posted.json, 'contracts', 'initialized', 'documentId');
    const timelineId = field(posted.json, 'contracts', 'owner', 'timelineId');
    if (posted.status !== 201 || typeof documentId !== 'string' || typeof timelineId !== 'string')
      throw new Error(`POST /blue answered ${posted.status}: ${JSON.stringify(posted.json)}`);

    // Counts commits, to show how many entries each group commit carried; the wrapper only
    // increments a number, so it does not change what is measured.
    const store = server.engine.store;
    const commit = store.commit.bind(store);
    let commits = 0;
    store.commit = (batch) => {
      commits += 1;
      return commit(batch);
    };

    (globalThis as { gc?: () => void }).gc?.();
    const load = loadavg()[0] ?? 0;
    const cpu = process.cpuUsage();
    const report = await runLoad({
      url: server.url,
      path: `/timelines/${timelineId}/entries`,
      apiKey: API_KEY,
      connections,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
    });
    const used = process.cpuUsage(cpu);
    const acknowledged = report.warmup.acknowledged + report.measured.acknowledged;
    // This process is the server (the sandbox worker idles); CPU per entry does not depend on
    // how busy the machine was, throughput and latency do.
    const serverMs = (used.user + used.system) / 1000 / acknowledged;
    const clientMs = report.cpuMs / acknowledged;
    const live = await applied(server, documentId, timelineId);

    // Durable means it is still there after the process lets go of the file and opens it anew.
    await server.close();
    server = undefined;
    server = await startServer({ db, port: 0, apiKey: API_KEY, workers: 1 });
    const reopened = await applied(server, documentId, timelineId);

    const counts = [live.counter, live.headSequence, reopened.counter, reopened.headSequence];
    const verified = counts.every((count) => count === acknowledged)
      ? `verified: ${acknowledged} acknowledged = ${acknowledged} applied, also after restart`
      : `NOT VERIFIED: ${acknowledged} acknowledged, counter ${String(live.counter)}, head ${String(live.headSequence)}; after restart counter ${String(reopened.counter)}, head ${String(reopened.headSequence)}`;

    const { measured } = report;
    const latencies = measured.latencies;
    const entriesPerSec = Math.round((measured.acknowledged / measured.elapsedMs) * 1000);
    const p99 = quantile(latencies, 0.99);
    const met = entriesPerSec >= TARGET.entriesPerSec && p99 <= TARGET.p99Ms;
    const ms = (value: number) => value.toFixed(1);
    return {
      name: `${connections} connections`,
      opsPerSec: entriesPerSec,
      medianUs: Math.round(quantile(latencies, 0.5) * 1000),
      p99Us: Math.round(p99 * 1000),
      note: [
        `p50 ${ms(quantile(latencies, 0.5))} / p90 ${ms(quantile(latencies, 0.9))} / p99 ${ms(p99)} / p99.9 ${ms(quantile(latencies, 0.999))} / max ${ms(latencies.at(-1) ?? 0)} ms`,
        `errors ${failureText(measured.failures)} (warm-up ${failureText(report.warmup.failures)})`,
        `${(acknowledged / commits).toFixed(2)} entries/commit`,
        `CPU/entry server ${serverMs.toFixed(2)} ms, load generator ${clientMs.toFixed(2)} ms`,
        `load avg ${load.toFixed(1)}`,
        `target ≥ ${TARGET.entriesPerSec}/s, p99 ≤ ${TARGET.p99Ms} ms: ${met ? 'met' : 'missed'}`,
        verified,
      ].join('; '),
    };
  } finally {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Timeline entries submitted → processed → durable over HTTP: one row per concurrency level,
 * each on its own fresh SQLite file (so one level's data does not slow the next).
 */
export async function httpBenchmarks(
  options: HttpBenchOptions = httpBenchOptions(),
): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const connections of options.connections) results.push(await runLevel(connections, options));
  return results;
}

export const HTTP_TABLE_TITLE =
  'HTTP service (issue 5): timeline entries submitted → processed → durable (SQLite, group commit)';

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  printTable(HTTP_TABLE_TITLE, await httpBenchmarks());
