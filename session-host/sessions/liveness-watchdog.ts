import { DisconnectReason, S_WHATSAPP_NET } from '@whiskeysockets/baileys'
import type { BinaryNode, WASocket } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import { LivenessLedger } from './liveness-ledger.ts'
import type { LivenessSettings } from './liveness-ledger.ts'

export type { LivenessSettings }

/** The error the watchdog ends a connection with; the session reports the close as `unresponsive`. */
export const UNRESPONSIVE = 'Connection unresponsive: keep-alive answered, nothing else'

/**
 * The probe: `encrypt/get/count`, how many one-time prekeys the server holds for this device.
 * Baileys asks it at every login, so WhatsApp answers it for any linked companion (and the
 * emulator does); it reads and changes nothing, and its answer is a few bytes.
 */
const probeNode = (): BinaryNode => ({ tag: 'iq', attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns: 'encrypt' }, content: [{ tag: 'count', attrs: {} }] })

/** An error answer is an answer: Baileys' assertNodeErrorFree puts the server's error code in `data`. */
const isServerAnswer = (error: unknown): boolean => typeof (error as { data?: unknown } | undefined)?.data === 'number'

/** The close the watchdog causes, with its code where Baileys' own (Boom) errors carry it: a lost connection, 408. */
class UnresponsiveError extends Error {
  readonly output = { statusCode: DisconnectReason.connectionLost }

  constructor() {
    super(UNRESPONSIVE)
  }
}

/**
 * Baileys closes a socket whose keep-alive pings go unanswered; this closes one whose pings are
 * answered while nothing else comes back. While the socket is open it notes every send made
 * through it (the queue's `sendMessage` and `relayMessage`) until WhatsApp acks it, and probes a
 * connection that showed no sign of life for `probeMs`. A send or probe unanswered for
 * `timeoutMs` ends the socket with UNRESPONSIVE: the session's reconnect path takes over, and the
 * queue sends again, under the same ids, what was never acked.
 */
export const watchLiveness = (socket: WASocket, options: LivenessSettings & { log: Logger; clock?: () => number }): void => {
  const { timeoutMs, probeMs, log, clock = Date.now } = options
  if (timeoutMs <= 0) return
  let ledger: LivenessLedger | undefined
  let timer: NodeJS.Timeout | undefined

  const note = (messageId: string | null | undefined) => {
    if (messageId) ledger?.sent(messageId, clock())
  }
  const { sendMessage, relayMessage } = socket
  socket.sendMessage = async (...args) => {
    const message = await sendMessage(...args)
    note(message?.key.id)
    return message
  }
  socket.relayMessage = async (...args) => {
    const messageId = await relayMessage(...args)
    note(messageId)
    return messageId
  }
  socket.ws.on('CB:ack,class:message', (node: BinaryNode) => {
    if (node.attrs.id) ledger?.acked(node.attrs.id, clock())
  })

  const probe = (watched: LivenessLedger) => {
    watched.probing(clock())
    // Its own timeout is the watchdog's business: the query only has to outlive the verdict.
    socket.query(probeNode(), timeoutMs * 2).then(
      // Baileys resolves a query that timed out with undefined.
      answer => answer && watched.answered(clock()),
      error => {
        if (isServerAnswer(error)) watched.answered(clock())
      }
    )
  }
  const check = () => {
    if (!ledger) return
    const verdict = ledger.verdict(clock())
    if (verdict.act === 'probe') probe(ledger)
    if (verdict.act !== 'trip') return
    log.warn({ waited: verdict.waited, forMs: verdict.forMs }, 'connection unresponsive: closing it to reconnect')
    stop()
    void socket.end(new UnresponsiveError())
  }
  const stop = () => {
    clearInterval(timer)
    ledger = undefined
  }
  socket.ev.on('connection.update', ({ connection }) => {
    if (connection === 'open') {
      ledger = new LivenessLedger({ timeoutMs, probeMs }, clock())
      timer = setInterval(check, Math.max(50, Math.min(timeoutMs, probeMs) / 4))
      timer.unref()
    }
    if (connection === 'close') stop()
  })
}
