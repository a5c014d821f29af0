import type { Sandbox, ScriptInput, ScriptLimits, ScriptOutcome, ScriptUsage } from './sandbox.js';

/**
 * One event's JavaScript CPU budget. A workflow may have many steps, each with its own CPU
 * limit; this wrapper, made for one event, gives each call the lesser of its step limit and what
 * is left of the event's budget, and charges what the call ran (as the sandbox measured it, or
 * the wall-clock time of the call where it does not say). Over budget is the script's failure,
 * `budget_exceeded`; a timeout that ran little CPU stays the sandbox's (`script_timeout`).
 */

/** The two CPU limits of an event (ProcessLimits' `scriptCpuMs` and `eventCpuMs`). */
export interface EventCpuLimits {
  scriptCpuMs: number;
  eventCpuMs: number;
}

/**
 * A step that timed out having run at least this share of the CPU time it was given used its
 * time: the timeout is the script's (`budget_exceeded`). One that ran less waited for a CPU while
 * the wall clock ran (a loaded machine): the sandbox's failure, `script_timeout`, retryable.
 */
const SPENT_SHARE = 0.9;

/**
 * The sandbox as one event's steps see it: each call may run the lesser of its step limit and
 * what is left of the event's JavaScript CPU budget, and what it ran (as the sandbox measured it;
 * the wall-clock time of the call where the sandbox does not say) comes off that budget.
 */
export class MeteredSandbox implements Sandbox {
  private usedMs = 0;

  constructor(
    private readonly inner: Sandbox,
    private readonly limits: EventCpuLimits,
  ) {}

  run(input: ScriptInput, limits?: Partial<ScriptLimits>): Promise<ScriptOutcome> {
    const stepMs = limits?.cpuMs ?? this.limits.scriptCpuMs;
    const leftMs = Math.floor(this.limits.eventCpuMs - this.usedMs);
    if (leftMs < 1) return Promise.resolve(this.eventBudgetSpent());
    const cpuMs = Math.min(stepMs, leftMs);
    const usage: ScriptUsage = {};
    const started = performance.now();
    const given = limits !== undefined && limits.cpuMs === cpuMs ? limits : { ...limits, cpuMs };
    return this.inner.run(input, given, usage).then((outcome) => {
      this.usedMs += usage.cpuMs ?? performance.now() - started;
      if (
        !outcome.ok &&
        outcome.code === 'script_timeout' &&
        usage.cpuMs !== undefined &&
        usage.cpuMs >= cpuMs * SPENT_SHARE
      ) {
        if (cpuMs < stepMs) return this.eventBudgetSpent();
        return {
          ok: false,
          code: 'budget_exceeded',
          message: `used all of its ${cpuMs} ms of CPU time`,
        };
      }
      return outcome;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private eventBudgetSpent(): ScriptOutcome {
    return {
      ok: false,
      code: 'budget_exceeded',
      message: `the event used all of its ${this.limits.eventCpuMs} ms of JavaScript CPU time`,
    };
  }
}
