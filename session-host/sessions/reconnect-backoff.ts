/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped, with full jitter so
 * that many sessions dropped together do not reconnect in lockstep.
 */
export const reconnectDelayMs = (attempt: number, { baseMs = 1_000, maxMs = 60_000 } = {}, random: () => number = Math.random): number =>
  Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)))
