/**
 * The public API's envelope as tests read it: loose on purpose, so a test can look at `data` or
 * `error` without narrowing first (shared/errors.ts has the exact success and error types).
 */
export type Envelope<T = unknown> = {
  success: boolean
  message: string
  data: T
  error: { code: string; details?: Record<string, unknown>; requestId?: string }
  /** Set on every sandbox answer. */
  sandbox?: boolean
  /** The original API's top-level field on health. */
  status?: string
}

/** One API call as tests see it. */
export type Call<T = unknown> = { status: number; headers: Headers; body: Envelope<T> }
