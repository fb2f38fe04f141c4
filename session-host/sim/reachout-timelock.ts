import { S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode } from '@whiskeysockets/baileys'

/** An account's reach-out time-lock: it may not start new chats until `until`. */
export type ReachoutTimelock = { until: Date; enforcement?: string }

/** The w:mex query Baileys makes (after a 463 nack) to read the time-lock: `QueryIds.REACHOUT_TIMELOCK`. */
export const REACHOUT_TIMELOCK_QUERY_ID = '23983697327930364'

/** The GraphQL object both the query and the push carry; `is_active: false` lifts the lock. */
const timelockState = (lock: ReachoutTimelock | undefined) =>
  lock
    ? { is_active: true, time_enforcement_ends: String(Math.floor(lock.until.getTime() / 1000)), enforcement_type: lock.enforcement ?? 'DEFAULT' }
    : { is_active: false, time_enforcement_ends: '0', enforcement_type: 'DEFAULT' }

/**
 * The server's push when the time-lock is set or lifted:
 * `<notification type="mex"><update op_name="NotificationUserReachoutTimelockUpdate">{ data:
 * { xwa2_notify_account_reachout_timelock: { is_active, time_enforcement_ends, enforcement_type } } }`,
 * the JSON as the node's bytes. Baileys turns it into `connection.update.reachoutTimeLock`.
 */
export const reachoutTimelockNotification = (id: string, t: string, lock: ReachoutTimelock | undefined): BinaryNode => ({
  tag: 'notification',
  attrs: { from: S_WHATSAPP_NET, type: 'mex', id, t },
  content: [
    {
      tag: 'update',
      attrs: { op_name: 'NotificationUserReachoutTimelockUpdate' },
      content: Buffer.from(JSON.stringify({ data: { xwa2_notify_account_reachout_timelock: timelockState(lock) } }))
    }
  ]
})

/** The answer to the w:mex time-lock query: `<iq type="result"><result>{ data: { xwa2_fetch_account_reachout_timelock } }`. */
export const reachoutTimelockQueryResult = (iq: BinaryNode, lock: ReachoutTimelock | undefined): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: iq.attrs.id ?? '' },
  content: [{ tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify({ data: { xwa2_fetch_account_reachout_timelock: timelockState(lock) } })) }]
})

/** Whether an iq is the time-lock query. */
export const isReachoutTimelockQuery = (iq: BinaryNode): boolean => {
  if (iq.attrs.xmlns !== 'w:mex' || !Array.isArray(iq.content)) return false
  return iq.content.some(child => child.tag === 'query' && child.attrs.query_id === REACHOUT_TIMELOCK_QUERY_ID)
}
