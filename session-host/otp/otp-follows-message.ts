import type { MessageView } from '../../shared/host-api/messages.ts'
import type { OtpStatus } from '../../shared/statuses.ts'
import type { DbExecutor } from '../db/database.ts'
import { recordOtpStatus } from './otp-events.ts'
import { markOtpFailed } from './otp-store.ts'

/**
 * What a change of an OTP's message means for the OTP, in the transaction that changed the
 * message: delivered is an `otp.status` with `delivery: "delivered"` (the OTP's own status
 * unchanged); a message that failed fails its pending OTP too, with the same reason.
 */
export const otpFollowsMessage = async (
  tx: DbExecutor,
  message: MessageView,
  at: number,
  /** The OTP entered these statuses (the metrics count them). */
  onEvent?: (statuses: readonly OtpStatus[]) => void
): Promise<void> => {
  const { sessionId, messageId, status, error, otpId } = message
  if (!otpId) return
  if (status === 'delivered') await recordOtpStatus(tx, { sessionId, otpId, messageId, at })
  if (status === 'failed') await markOtpFailed({ db: tx, clock: () => at, ...(onEvent ? { onEvent } : {}) }, { otpId, reason: error })
}
