const TOKEN_KEY = 'wa-otp-dashboard.token'

/**
 * The operator's token lives in sessionStorage only: gone when the tab closes, never in a URL
 * (so never in history, a referrer or a server log), and sent only in the Authorization header.
 */
export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY)
}

export type ApiFailure = { ok: false; status: number; code: string; message: string; missing: boolean }
export type ApiResult<T> = { ok: true; status: number; data: T } | ApiFailure

type Envelope = { success?: boolean; message?: string; data?: unknown; error?: { code?: string } }

let onUnauthorized: () => void = () => {}
/** What to do when the token is refused (expired or revoked): main.ts signs the operator out. */
export const whenUnauthorized = (handler: () => void) => {
  onUnauthorized = handler
}

/**
 * One call to the public API with the operator's token. A route this gateway does not have yet
 * (an older gateway, or a branch not merged) answers 404 "No such route": `missing` lets a screen
 * say "not available" instead of failing.
 */
export const api = async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = tokenStore.get()
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), credentials: 'omit' })
  } catch {
    return { ok: false, status: 0, code: 'NETWORK', message: 'The gateway did not answer', missing: false }
  }
  const parsed = (await response.json().catch(() => ({}))) as Envelope
  if (response.ok) return { ok: true, status: response.status, data: (parsed.data ?? parsed) as T }
  if (response.status === 401) onUnauthorized()
  const code = parsed.error?.code ?? 'HTTP_ERROR'
  const message = parsed.message ?? `HTTP ${response.status}`
  return { ok: false, status: response.status, code, message, missing: response.status === 404 && code === 'NOT_FOUND' && message === 'No such route' }
}

/** A query string from the filters that are set. */
export const query = (params: Record<string, string | undefined>) => {
  const set = Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]))
  return set.length ? `?${new URLSearchParams(set)}` : ''
}

/** The sentence a failure shows: "not available" for a route this gateway lacks. */
export const failureText = (failure: ApiFailure, what: string) =>
  failure.missing ? `${what} is not available on this gateway yet.` : `${what} could not be loaded: ${failure.message} (${failure.code}).`
