/**
 * Fair shares of the event loop for the synchronous part of a request (reading and checking
 * its body: YAML loading, validation), per account. Work that runs on the main thread cannot be
 * interrupted, so one account sending expensive bodies on many connections would otherwise run
 * them back to back while every other account's requests wait behind them.
 *
 * An account whose last requests cost more than {@link FREE_MS} of main-thread time waits for
 * its turn: its requests then pass one at a time, each in a later turn of the event loop, so
 * between two of its expensive requests the loop serves everyone else's. Cheap requests
 * (small JSON entries, under {@link EXPENSIVE_MS}) are not charged and never wait, so one
 * account's many small writes keep their group commits.
 * The debt halves every {@link HALF_LIFE_MS} of wall time, so an account that becomes cheap
 * again soon passes freely. While other accounts are active, a debtor waits about as long as
 * its debt (at most {@link MAX_WAIT_MS}) before each expensive request, so it gets no more of
 * the loop than the others; alone, it only waits for a turn.
 */

/** Main-thread milliseconds an account may spend per turn before it waits for its next turn. */
const FREE_MS = 2;
/** Requests cheaper than this are not charged: many small writes batch well as they are. */
const EXPENSIVE_MS = 1;
/** The debt halves every this many milliseconds of wall time. */
const HALF_LIFE_MS = 10;
/** Another account seen this recently means the loop is shared: debtors then wait longer. */
const CONTENDED_MS = 50;
/** The longest an expensive request waits for its turn while others share the loop. */
const MAX_WAIT_MS = 20;

interface Lane {
  /** Main-thread ms recently spent on the account's requests, decaying with time. */
  debt: number;
  at: number;
  /** The last request admitted: the next one waits for it (when the account is in debt). */
  tail: Promise<void>;
}

export class AccountTurns {
  private readonly lanes = new Map<string, Lane>();
  /** When each account was last admitted (pruned), to tell whether the loop is shared. */
  private readonly seen = new Map<string, number>();

  /**
   * Resolves when the account's request may run its synchronous part; call `done` with the
   * main-thread time it took (ms) once that part is over.
   */
  async admit(accountId: string): Promise<(spentMs: number) => void> {
    let lane = this.lanes.get(accountId);
    if (lane === undefined) {
      lane = { debt: 0, at: performance.now(), tail: Promise.resolve() };
      this.lanes.set(accountId, lane);
    }
    const own = lane;
    this.decay(own);
    const contended = this.note(accountId, own.at);
    if (own.debt <= FREE_MS) return (spentMs) => this.settle(accountId, own, spentMs);
    let release: () => void = () => undefined;
    const previous = own.tail;
    own.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    // Whatever arrived meanwhile (other accounts) runs first: a turn of the event loop, or
    // about the debt's worth of time when others are active.
    await new Promise<void>((resolve) =>
      contended ? setTimeout(resolve, Math.min(own.debt, MAX_WAIT_MS)) : setImmediate(resolve),
    );
    return (spentMs) => {
      this.settle(accountId, own, spentMs);
      release();
    };
  }

  /** Records the account as active; answers whether another one was active just now. */
  private note(accountId: string, now: number): boolean {
    this.seen.set(accountId, now);
    let contended = false;
    for (const [other, at] of this.seen) {
      if (now - at > CONTENDED_MS) this.seen.delete(other);
      else if (other !== accountId) contended = true;
    }
    return contended;
  }

  private decay(lane: Lane): void {
    const now = performance.now();
    lane.debt *= 0.5 ** ((now - lane.at) / HALF_LIFE_MS);
    lane.at = now;
  }

  /** Charges the account; a lane that owes (almost) nothing is dropped, so the map stays small. */
  private settle(accountId: string, lane: Lane, spentMs: number): void {
    this.decay(lane);
    if (spentMs >= EXPENSIVE_MS) lane.debt += spentMs;
    if (lane.debt <= FREE_MS / 4) this.lanes.delete(accountId);
  }
}
