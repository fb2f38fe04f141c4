import type { SessionStatus } from '../../shared/sessions.ts'
import type { SessionEvent } from '../sessions/session-event.ts'
import type { HostMetrics } from './host-metrics.ts'

/**
 * What the sessions' events mean for the metrics: a session that connects again after it was
 * connected here (and dropped) is a reconnect; a message the server nacked is a refusal, by its
 * code (463: the account may not start new chats now); a close for `unresponsive` is the liveness
 * watchdog restarting a half-dead session.
 */
export const sessionEventMetrics = (metrics: Pick<HostMetrics, 'recordReconnect' | 'recordRefusal' | 'recordWatchdogRestart'>) => {
  const last = new Map<string, SessionStatus>()
  const connectedBefore = new Set<string>()
  return (event: SessionEvent): void => {
    if (event.type === 'status') {
      const { sessionId, status } = event
      if (status === 'connected' && last.get(sessionId) !== 'connected' && connectedBefore.has(sessionId)) metrics.recordReconnect(sessionId)
      if (status === 'connected') connectedBefore.add(sessionId)
      if (event.closeReason === 'unresponsive') metrics.recordWatchdogRestart(sessionId)
      last.set(sessionId, status)
    }
    if (event.type === 'message-ack' && event.error) metrics.recordRefusal(event.sessionId, event.error)
  }
}
