const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

export type RetryPolicy = {
  /** The cap of the delay before retry n (1-based); the last cap repeats. */
  capsMs: readonly number[]
  /** Retries continue until this long after the first failure, then the delivery is dead. */
  retryForMs: number
  /** The shortest delay, so that full jitter never retries at once. */
  minDelayMs: number
}

/** About 24 h of retries: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then every 8 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  capsMs: [5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR],
  retryForMs: 24 * HOUR,
  minDelayMs: SECOND
}

/**
 * When to try again after `attempts` failed attempts, or undefined when the retry window that
 * began at `firstFailedAt` is over. Full jitter (a uniform delay up to the cap) spreads the retries
 * of many events that failed together.
 */
export const nextAttemptAt = (
  policy: RetryPolicy,
  input: { attempts: number; firstFailedAt: number; now: number; random?: () => number }
): number | undefined => {
  if (input.now - input.firstFailedAt >= policy.retryForMs) return undefined
  const cap = policy.capsMs[Math.min(input.attempts, policy.capsMs.length) - 1] ?? policy.minDelayMs
  const delay = Math.max(policy.minDelayMs, Math.floor((input.random ?? Math.random)() * cap))
  return input.now + delay
}
