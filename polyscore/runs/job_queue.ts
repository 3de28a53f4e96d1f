/**
 * A serial job queue with a bounded backlog: jobs run one at a time, in order; when `maxPending`
 * jobs already wait (or run), `push` refuses at once with a {@link QueueFullError} instead of
 * growing without bound. Used so one server never runs two samplers on one device at once.
 */

/** Thrown by {@link JobQueue.push} when the backlog is full; callers answer 429. */
export class QueueFullError extends Error {
  constructor(pending: number) {
    super(`Cannot queue job: ${pending} jobs are already queued or running`);
    this.name = "QueueFullError";
  }
}

/**
 * One-at-a-time execution with a bounded backlog.
 *
 * @example
 * ```ts
 * const q = new JobQueue(2);
 * const v = await q.push(async () => 42);
 * ```
 */
export class JobQueue {
  readonly maxPending: number;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #running = 0;
  #maxRunningSeen = 0;
  #closed = false;

  constructor(maxPending: number) {
    if (!Number.isInteger(maxPending) || maxPending < 1) {
      throw new RangeError(
        `Cannot create JobQueue: maxPending must be an integer >= 1: current value is ${maxPending}`,
      );
    }
    this.maxPending = maxPending;
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** The most jobs ever seen running at once (1 unless something is wrong); for tests. */
  get maxRunningSeen(): number {
    return this.#maxRunningSeen;
  }

  /** Queues `job`; resolves or rejects with its result. Throws QueueFullError when full. */
  push<T>(job: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("Cannot queue job: the queue is closed"));
    if (this.#pending >= this.maxPending) throw new QueueFullError(this.#pending);
    this.#pending++;
    const run = async () => {
      this.#running++;
      this.#maxRunningSeen = Math.max(this.#maxRunningSeen, this.#running);
      try {
        return await job();
      } finally {
        this.#running--;
        this.#pending--;
      }
    };
    const p = this.#tail.then(run, run);
    this.#tail = p.catch(() => {});
    return p;
  }

  /** Refuses new jobs and resolves once the queued ones have finished. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }
}
