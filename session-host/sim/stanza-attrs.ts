import { randomBytes } from 'node:crypto'

/** A stanza's `t`: the server's clock in Unix seconds. */
export const now = (): string => `${Math.floor(Date.now() / 1000)}`

/** A message id shaped as WhatsApp Web makes them. */
export const newMessageId = (): string => `3EB0${randomBytes(8).toString('hex').toUpperCase()}`
