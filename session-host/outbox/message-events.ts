import type { DbExecutor } from '../db/database.ts'
import { recordEvent } from '../webhooks/record-event.ts'
import type { MessageChange } from './send-queue.ts'

/** Journals a message's new status as a `message.status` event, in the transaction that changed it. */
export const journalMessageChange = async (tx: DbExecutor, { message }: MessageChange, at: number): Promise<void> => {
  const { sessionId, messageId, to, kind, status, error, otpId } = message
  await recordEvent(tx, { sessionId, type: 'message.status', data: { messageId, to, kind, status, error, otpId }, at })
}
