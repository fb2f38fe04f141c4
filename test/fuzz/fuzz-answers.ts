import type { FuzzRequest } from '../support/openapi-fuzz.ts'

/** What the fuzz test reads in each answer: whether it is the envelope, its code, and what the request carried. */

export type Outcome =
  | { request: FuzzRequest; status: number; body: string }
  | { request: FuzzRequest; failure: string }
  | { request: FuzzRequest; skipped: string }
export type Answered = Extract<Outcome, { status: number }>
export type Failure = { outcome: Outcome; problem: string }

export const running = (pid: number | undefined): boolean => {
  try {
    return pid !== undefined && process.kill(pid, 0)
  } catch {
    return false
  }
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export const isEnvelope = (text: string): boolean => {
  try {
    const body = JSON.parse(text) as { success?: unknown; message?: unknown; error?: { code?: unknown } }
    return body.success === false && typeof body.message === 'string' && typeof body.error?.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(body.error.code)
  } catch {
    return false
  }
}

export const codeOf = (text: string): string => {
  try {
    return String((JSON.parse(text) as { error?: { code?: unknown } }).error?.code ?? '')
  } catch {
    return 'not JSON'
  }
}

export const decoded = (path: string): string => {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/** Everything the request carried, to tell an echo of it from what the server made up. */
export const requestText = (request: FuzzRequest): string => {
  const body = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : Buffer.from(request.body).toString('latin1')
  return [request.path, decoded(request.path), ...Object.values(request.headers), body].join('\n')
}
