import type { Logger } from 'pino'
import type { Db } from '../db/connection.ts'
import { expireDueOtps } from '../otp/otp-expiry.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { forgetExpiredIdempotencyKeys } from './idempotency-retention.ts'
import { pruneDeliveredEvents } from '../webhooks/event-retention.ts'
import { journalMessageChange } from './message-events.ts'
import { createPayloadCipher } from './payload-cipher.ts'
import { SendQueue } from './send-queue.ts'

/**
 * The host's send queue, wired to its sessions and to the webhook outbox. Start it before the
 * sessions are restored, so messages a crash left half-sent are back in line when they connect.
 * Its sweep also expires OTPs past their TTL (with their events), forgets old Idempotency-Keys and
 * removes delivered webhook events after a week.
 */
export const startSendQueue = (deps: {
  db: Db
  logger: Logger
  internalSecret: string
  sessions: () => SessionManager
  wakeWebhooks: () => void
  clock?: () => number
  ackTimeoutMs?: number
  sweepEveryMs?: number
}): SendQueue => {
  const clock = deps.clock ?? Date.now
  const logger = deps.logger.child({ module: 'send-queue' })
  const queue = new SendQueue({
    db: deps.db,
    cipher: createPayloadCipher(deps.internalSecret),
    logger,
    socketOf: sessionId => deps.sessions().connectedSocket(sessionId),
    clock,
    ...(deps.ackTimeoutMs ? { ackTimeoutMs: deps.ackTimeoutMs } : {}),
    onChange: (tx, change) => {
      journalMessageChange(tx, change, clock())
      deps.wakeWebhooks()
    },
    afterSweep: now => {
      // Each on its own, so one failing never stops the others.
      const upkeep: [string, () => void][] = [
        ['OTP expiry', () => expireDueOtps(deps.db, now) > 0 && deps.wakeWebhooks()],
        ['Idempotency-Key retention', () => forgetExpiredIdempotencyKeys(deps.db, now)],
        ['webhook event retention', () => pruneDeliveredEvents(deps.db, now)]
      ]
      for (const [job, run] of upkeep) {
        try {
          run()
        } catch (error) {
          logger.error({ err: error, job }, 'sweep upkeep failed')
        }
      }
    }
  })
  queue.start(deps.sweepEveryMs)
  return queue
}
