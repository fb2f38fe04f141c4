import { ERROR_CODES, errorEnvelope } from './errors.ts'
import type { ErrorCode } from './errors.ts'

const REASONS: Partial<Record<ErrorCode, string>> = {
  MALFORMED_REQUEST: 'Bad Request',
  REQUEST_TIMEOUT: 'Request Timeout',
  HEADERS_TOO_LARGE: 'Request Header Fields Too Large'
}

/**
 * The raw HTTP/1.1 answer to a request Node's parser refused (a NUL in the path, a duplicate
 * Content-Length, oversized headers, an unknown HTTP version, a request that never finished),
 * carrying the envelope every other error gets; Node's default is an empty 400 or 431.
 */
export const clientErrorResponse = (error: { code?: string }): string => {
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'MALFORMED_REQUEST'
  const { status, description } = ERROR_CODES[code]
  const body = new TextEncoder().encode(JSON.stringify(errorEnvelope(code, description)))
  return (
    `HTTP/1.1 ${status} ${REASONS[code]}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${body.byteLength}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n` +
    new TextDecoder().decode(body)
  )
}

/** The connection a Node server's `clientError` event hands over (no Node types in shared/). */
export type ClientConnection = { writable: boolean; end(data: string): void; destroy(): void }

/** Both Node servers' `clientError` handler: the envelope, then the connection closes. */
export const answerClientError = (error: { code?: string }, connection: ClientConnection): void => {
  if (error.code === 'ECONNRESET' || !connection.writable) connection.destroy()
  else connection.end(clientErrorResponse(error))
}
