/** The sessions the fuzz test links, and the scope and sessions of every documented route. */
import type { Scope } from '../../gateway/auth/scopes.ts'

export const LINKED = ['fuzz-1', 'fuzz-2']
/**
 * Media sends get a linked session of their own: against the emulator (no media host) an upload
 * fails, and the host retries that message at the head of its session's queue, so every later
 * send of the session would wait out the 5 s settle time and answer `queued`.
 */
export const MEDIA_LINKED = 'fuzz-media'
export const THROWAWAY = ['fuzz-spare-1', 'fuzz-spare-2']

/**
 * What each documented operation checks: the scope its handler requires (none: public, or any
 * valid token), and the sessions its `sessionId` names when not the linked ones: deleting or
 * restarting a linked session would leave the sends after it without a connected session, so
 * those go to throwaway sessions. Every operation in the document must be listed: a new route
 * needs this decision.
 */
export const ROUTES: Record<string, { scope?: Scope; sessions?: readonly string[] }> = {
  'GET /api/health': {},
  'GET /livez': {},
  'GET /readyz': {},
  'GET /metrics': { scope: 'admin' },
  'POST /api/sessions/create': { scope: 'sessions:write', sessions: [...LINKED, ...THROWAWAY, 'fuzz-new'] },
  'GET /api/sessions': { scope: 'sessions:read' },
  'GET /api/sessions/{sessionId}/status': { scope: 'sessions:read' },
  'GET /api/sessions/{sessionId}/qr': { scope: 'sessions:read' },
  'POST /api/sessions/{sessionId}/pairing-code': { scope: 'sessions:write' },
  'PUT /api/sessions/{sessionId}/restart': { scope: 'sessions:write', sessions: THROWAWAY },
  'DELETE /api/sessions/{sessionId}': { scope: 'sessions:write', sessions: THROWAWAY },
  'POST /api/sessions/{sessionId}/qr-link': { scope: 'sessions:read' },
  'GET /api/sessions/{sessionId}/qr-page': {},
  'GET /api/sessions/{sessionId}/qr-page/state': {},
  'GET /api/messages/format-phone/{number}': {},
  'POST /api/messages/{sessionId}/otp': { scope: 'otp:send' },
  'POST /api/otp/verify': { scope: 'otp:verify' },
  'GET /api/otp/{otpId}': { scope: 'otp:verify' },
  'POST /api/otp/{otpId}/cancel': { scope: 'otp:send' },
  'GET /api/messages/{sessionId}/generate-otp': { scope: 'otp:send' },
  'GET /api/messages/{sessionId}/{messageId}': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/text': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/location': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/button': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/list': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/contact': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/reaction': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/poll': { scope: 'messages:send' },
  'POST /api/messages/{sessionId}/image': { scope: 'messages:send', sessions: [MEDIA_LINKED] },
  'POST /api/messages/{sessionId}/video': { scope: 'messages:send', sessions: [MEDIA_LINKED] },
  'POST /api/messages/{sessionId}/audio': { scope: 'messages:send', sessions: [MEDIA_LINKED] },
  'POST /api/messages/{sessionId}/document': { scope: 'messages:send', sessions: [MEDIA_LINKED] },
  'GET /api/messages/{sessionId}/check-number/{number}': { scope: 'messages:send' },
  'PUT /api/sessions/{sessionId}/webhook': { scope: 'sessions:write' },
  'GET /api/sessions/{sessionId}/webhook': { scope: 'sessions:read' },
  'DELETE /api/sessions/{sessionId}/webhook': { scope: 'sessions:write' },
  'GET /api/webhooks/dead-letters': { scope: 'sessions:write' },
  'POST /api/webhooks/dead-letters/{eventId}/replay': { scope: 'sessions:write' },
  'GET /api/sessions/{sessionId}/governor': { scope: 'sessions:read' },
  'PUT /api/sessions/{sessionId}/governor': { scope: 'sessions:write' },
  'POST /api/sessions/{sessionId}/governor/resume': { scope: 'sessions:write' },
  'GET /api/webhooks/deliveries': { scope: 'sessions:read' },
  'GET /api/messages/{sessionId}': { scope: 'sessions:read' },
  'GET /api/messages': { scope: 'sessions:read' },
  'GET /api/otp': { scope: 'sessions:read' },
  'GET /api/stats': { scope: 'sessions:read' },
  'GET /api/events': { scope: 'sessions:read' }
}
