import type { WASocket } from '@whiskeysockets/baileys'

/** How long a socket may hold its place at most (a handshake that neither opens nor closes). */
const HOLD_LIMIT_MS = 30_000

export type ConnectGate = {
  /** Waits for a place among the sockets connecting now; resolves with the function that gives it back. */
  enter(): Promise<() => void>
  /** Holds a place for `socket` until it opens, shows a QR or closes (or HOLD_LIMIT_MS passes). */
  hold(socket: WASocket, release: () => void): void
  /** Sockets connecting now, and sessions waiting for a place. */
  readonly connecting: number
  readonly waiting: number
}

/**
 * At most `limit` sessions connect at once (noise handshake, login, the first queries): a host
 * that comes back with hundreds of sessions brings them up in a steady stream instead of opening
 * every socket together, which held all their handshakes in memory at once and slowed each one.
 */
export const createConnectGate = (limit: number): ConnectGate => {
  let connecting = 0
  const queue: (() => void)[] = []
  const enter = () =>
    new Promise<() => void>(admitted => {
      const admit = () => {
        connecting++
        let given = false
        admitted(() => {
          if (given) return
          given = true
          connecting--
          queue.shift()?.()
        })
      }
      if (connecting < limit) admit()
      else queue.push(admit)
    })
  return {
    enter,
    hold(socket, release) {
      const timer = setTimeout(release, HOLD_LIMIT_MS)
      timer.unref()
      const done = () => {
        clearTimeout(timer)
        socket.ev.off('connection.update', onUpdate)
        release()
      }
      const onUpdate = (update: { connection?: string; qr?: string }) => {
        if (update.connection === 'open' || update.connection === 'close' || update.qr) done()
      }
      socket.ev.on('connection.update', onUpdate)
    },
    get connecting() {
      return connecting
    },
    get waiting() {
      return queue.length
    }
  }
}
