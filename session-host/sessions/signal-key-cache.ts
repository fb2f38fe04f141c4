/** Entries kept per session: the own devices' sessions, identities and recent chats, not every number ever written to. */
const DEFAULT_LIMIT = 512

/**
 * What a session's Signal keys read back from the database, misses included, kept in memory for
 * as long as the socket lives. While this host holds the session's lease, every key write goes
 * through the same auth state (and is fenced by the lease), so the cache cannot fall behind the
 * database; a host that loses the lease closes the socket, and the cache goes with it. Least
 * recently used entries go first.
 */
export class SignalKeyCache {
  /** `null`: the database has no such key. */
  private readonly entries = new Map<string, unknown>()
  /** Counts writes: a read that saw one start while it was out does not cache its answer. */
  writes = 0

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  /** The cached value, `null` for a known miss, `undefined` when the database must be asked. */
  get(type: string, id: string): unknown {
    const key = `${type}\n${id}`
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  /** Remembers a value as stored (`null`: the key does not exist). */
  set(type: string, id: string, value: unknown): void {
    const key = `${type}\n${id}`
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string)
  }

  /** Forgets one key: the next read asks the database. */
  forget(type: string, id: string): void {
    this.entries.delete(`${type}\n${id}`)
  }

  clear(): void {
    this.entries.clear()
  }
}
