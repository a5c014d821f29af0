import { Agent, request } from 'node:http';

/**
 * The HTTP load generator of bench/http.ts, run as its own process so that the client's CPU
 * time and event loop are not the server's: `node --import tsx bench/http-load.ts '<config>'`.
 * It keeps `connections` keep-alive connections busy, each posting one request after another
 * (closed loop), for a warm-up and then a measured period, and prints one JSON
 * {@link LoadReport} on stdout.
 */

/** What to load, passed as one JSON argument. */
export interface LoadConfig {
  /** Server origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  path: string;
  apiKey: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** A fixed body to post (default: a new Chat Message entry each time, as JSON). */
  body?: string;
  contentType?: string;
  /** Statuses that count as acknowledged (default 201). */
  acknowledge?: number[];
}

/** One phase: successes (201), other answers by status (`error` for a failed socket). */
export interface PhaseReport {
  acknowledged: number;
  failures: Record<string, number>;
  /** From the phase's first request to its last answer (in-flight requests are waited for). */
  elapsedMs: number;
  /** Per-request latency of the 201 answers in ms, ascending (measured phase only). */
  latencies: number[];
}

export interface LoadReport {
  warmup: PhaseReport;
  measured: PhaseReport;
  /** CPU time (user + system) this process spent, in ms: the client's share of the 2 cores. */
  cpuMs: number;
}

interface Answer {
  status: number | 'error';
  ms: number;
}

function post(agent: Agent, config: LoadConfig, body: string): Promise<Answer> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    const req = request(
      `${config.url}${config.path}`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${config.apiKey}`,
          'content-type': config.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        // The body must be read to the end before the socket goes back to the pool.
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: elapsed() }));
        res.on('error', () => resolve({ status: 'error', ms: elapsed() }));
      },
    );
    req.on('error', () => resolve({ status: 'error', ms: elapsed() }));
    req.end(body);
  });
}

async function phase(
  agent: Agent,
  config: LoadConfig,
  seconds: number,
  counter: { next: number },
  keepLatencies: boolean,
): Promise<PhaseReport> {
  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  let acknowledged = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const connection = async () => {
    while (performance.now() < deadline) {
      counter.next += 1;
      const body =
        config.body ??
        JSON.stringify({
          message: { type: 'Conversation/Chat Message', message: `load ${counter.next}` },
        });
      const answer = await post(agent, config, body);
      if (
        typeof answer.status === 'number' &&
        (config.acknowledge ?? [201]).includes(answer.status)
      ) {
        acknowledged += 1;
        if (keepLatencies) latencies.push(answer.ms);
      } else failures[String(answer.status)] = (failures[String(answer.status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: config.connections }, connection));
  latencies.sort((a, b) => a - b);
  return { acknowledged, failures, elapsedMs: performance.now() - started, latencies };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
  // One socket per connection, kept open: the run measures the service, not TCP handshakes.
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
  const counter = { next: 0 };
  const cpu = process.cpuUsage();
  const warmup = await phase(agent, config, config.warmupSeconds, counter, false);
  const measured = await phase(agent, config, config.seconds, counter, true);
  agent.destroy();
  const used = process.cpuUsage(cpu);
  const report: LoadReport = { warmup, measured, cpuMs: (used.user + used.system) / 1000 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
