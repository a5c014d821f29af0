/**
 * Issue 10: one account can never slow another. A benign account writes timeline entries to
 * its own counter document (2 connections, closed loop) while another account saturates the
 * server (8 connections) with hostile scripts, long workflows or alias-heavy posts. Each row is
 * the benign account's write latency under one load; the target is p99 ≤ 100 ms. Both clients
 * are load-generator processes of their own (bench/http-load.ts); the server runs here with its
 * supervised sandbox (2 workers), as `npm start` does.
 *
 * Part of `npm run bench`; alone: `node --no-node-snapshot --import tsx bench/fairness.ts`.
 * `BENCH_FAIRNESS_SECONDS=5` changes the measured seconds per row.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunningServer } from '../src/http/start-server.js';
import { FIRST_ACCOUNT_EMAIL, startServer } from '../src/http/start-server.js';
import type { LoadConfig, LoadReport } from './http-load.js';
import { quantile, runLoad } from './http.js';
import type { BenchResult } from './measure.js';
import { printTable } from './measure.js';

const API_KEY = 'pd_test_bench_fairness_benign_0000000001';
const ADMIN_KEY = 'pd_test_bench_fairness_operator_00000001';
const HOSTILE_EMAIL = 'hostile@example.com';
const TARGET_P99_MS = 100;

const counter = (email: string) => `name: Fairness Counter
counter: 0
contracts:
  owner:
    type: MyOS Account
    email: ${email}
  increment:
    type: Conversation/Sequential Workflow
    channel: owner
    steps:
      - type: Conversation/Update Document
        changeset:
          - op: replace
            path: /counter
            val: "\${document('/counter') + 1}"
`;

/** Every message burns a JavaScript step's whole CPU allowance. */
const spinner = `name: Hostile Spinner
contracts:
  owner:
    type: MyOS Account
    email: ${HOSTILE_EMAIL}
  spin:
    type: Conversation/Sequential Workflow
    channel: owner
    steps:
      - type: Conversation/JavaScript Code
        code: |
          let x = 0;
          for (;;) x++;
`;

/** Every message runs 150 JavaScript steps, each doing a little work. */
const longWorkflow = `name: Hostile Long Workflow
contracts:
  owner:
    type: MyOS Account
    email: ${HOSTILE_EMAIL}
  long:
    type: Conversation/Sequential Workflow
    channel: owner
    steps:
${Array.from(
  { length: 150 },
  (_, i) => `      - name: Step${i}
        type: Conversation/JavaScript Code
        code: |
          let x = 0;
          for (let i = 0; i < 200000; i++) x += i;
          return { x };
`,
).join('')}`;

/** 6.8 KB that 60 aliases expand to 180,000 nodes (the issue's measured case). */
const aliasBomb = `name: Alias Bomb
base: &base [${Array.from({ length: 3000 }, () => '0').join(',')}]
${Array.from({ length: 60 }, (_, i) => `copy${i}: *base`).join('\n')}
`;

async function call(
  server: RunningServer,
  key: string,
  method: 'GET' | 'POST',
  path: string,
  body?: { text: string; type: string },
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': body.type }),
    },
    ...(body === undefined ? {} : { body: body.text }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Posts a document and answers the timeline its `owner` channel was bound to. */
async function ownerTimeline(server: RunningServer, key: string, text: string): Promise<string> {
  const posted = await call(server, key, 'POST', '/blue', { text, type: 'application/yaml' });
  const contracts = posted.json.contracts as Record<string, { timelineId?: string }> | undefined;
  const timelineId = contracts?.owner?.timelineId;
  if (posted.status !== 201 || timelineId === undefined)
    throw new Error(`POST /blue answered ${posted.status}: ${JSON.stringify(posted.json)}`);
  return timelineId;
}

interface HostileLoad {
  name: string;
  config?: Omit<LoadConfig, 'url' | 'warmupSeconds' | 'seconds'>;
}

export async function fairnessBenchmarks(
  seconds = Number(process.env.BENCH_FAIRNESS_SECONDS ?? '5'),
): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'paydoc-bench-fairness-'));
  const server = await startServer({
    db: join(dir, 'fairness.sqlite'),
    port: 0,
    apiKey: API_KEY,
    adminKey: ADMIN_KEY,
    workers: 2,
  });
  try {
    const hostile = await call(server, ADMIN_KEY, 'POST', '/accounts', {
      text: JSON.stringify({ email: HOSTILE_EMAIL }),
      type: 'application/json',
    });
    const hostileKey = String(hostile.json.apiKey);
    const benignPath = `/timelines/${await ownerTimeline(server, API_KEY, counter(FIRST_ACCOUNT_EMAIL))}/entries`;
    const spinPath = `/timelines/${await ownerTimeline(server, hostileKey, spinner)}/entries`;
    const longPath = `/timelines/${await ownerTimeline(server, hostileKey, longWorkflow)}/entries`;
    const loads: HostileLoad[] = [
      { name: 'baseline (no other load)' },
      {
        name: 'hostile scripts (a step that never ends)',
        config: { path: spinPath, apiKey: hostileKey, connections: 8, acknowledge: [201, 422] },
      },
      {
        name: 'long workflows (150 JavaScript steps)',
        config: { path: longPath, apiKey: hostileKey, connections: 8, acknowledge: [201, 422] },
      },
      {
        name: 'alias-heavy posts (6.8 KB → 180k nodes)',
        config: {
          path: '/blue',
          apiKey: hostileKey,
          connections: 8,
          body: aliasBomb,
          contentType: 'application/yaml',
          acknowledge: [200, 201, 400, 413],
        },
      },
    ];
    const results: BenchResult[] = [];
    for (const load of loads) {
      const benign = runLoad({
        url: server.url,
        path: benignPath,
        apiKey: API_KEY,
        connections: 2,
        warmupSeconds: 1,
        seconds,
      });
      const other: Promise<LoadReport | undefined> =
        load.config === undefined
          ? Promise.resolve(undefined)
          : runLoad({ ...load.config, url: server.url, warmupSeconds: 0.5, seconds: seconds + 1 });
      const [report, hostileReport] = await Promise.all([benign, other]);
      const latencies = report.measured.latencies;
      const p99 = quantile(latencies, 0.99);
      const hostileRate =
        hostileReport === undefined
          ? ''
          : `; the other account: ${Math.round((hostileReport.measured.acknowledged / hostileReport.measured.elapsedMs) * 1000)} requests/s answered${Object.keys(hostileReport.measured.failures).length > 0 ? ` (other answers ${JSON.stringify(hostileReport.measured.failures)})` : ''}`;
      results.push({
        name: load.name,
        opsPerSec: Math.round((report.measured.acknowledged / report.measured.elapsedMs) * 1000),
        medianUs: Math.round(quantile(latencies, 0.5) * 1000),
        p99Us: Math.round(p99 * 1000),
        note: `benign writes p50 ${quantile(latencies, 0.5).toFixed(1)} / p99 ${p99.toFixed(1)} / max ${(latencies.at(-1) ?? 0).toFixed(1)} ms, errors ${JSON.stringify(report.measured.failures)}; target p99 ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'met' : 'missed'}${hostileRate}`,
      });
    }
    return results;
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const FAIRNESS_TABLE_TITLE =
  "Fairness (issue 10): an unrelated account's writes while another account saturates the server";

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  printTable(FAIRNESS_TABLE_TITLE, await fairnessBenchmarks());
