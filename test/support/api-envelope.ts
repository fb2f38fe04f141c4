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

export type CallInit = { token?: string; body?: unknown; headers?: Record<string, string> }

/**
 * Calls the public API at `baseUrl` as the tests do: with `admin` unless another token is given,
 * JSON in and out; the message ids of OTP sends go into `otpMessageIds`, for the log audit.
 */
export const publicApiCaller =
  (baseUrl: string, admin: string, otpMessageIds: Set<string>) =>
  async (method: string, path: string, init: CallInit = {}): Promise<Call> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${init.token ?? admin}`, 'content-type': 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
    })
    const body = (await response.json().catch(() => undefined)) as Envelope
    const messageId = (body?.data as { messageId?: string } | undefined)?.messageId
    if (path.endsWith('/otp') && messageId) otpMessageIds.add(messageId)
    return { status: response.status, headers: response.headers, body }
  }
