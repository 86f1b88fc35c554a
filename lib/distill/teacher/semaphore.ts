// A counting semaphore as a closure: at most `limit` async tasks run at once, the rest wait in FIFO order.

/** Runs `task` when fewer than the limit are running; resolves or rejects with the task's outcome. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * A limiter allowing `limit` concurrent tasks (state lives in the closure, one per client).
 * @example
 * const limit = semaphore(2);
 * const answers = await Promise.all(urls.map((u) => limit(() => fetch(u))));
 */
export function semaphore(limit: number): Limiter {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(
      `lib/distill/teacher/semaphore.ts: semaphore: limit: expected an integer ≥ 1, got ${limit}`,
    );
  }
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next !== undefined) next(); // hand the slot over without decrementing
    else running--;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
