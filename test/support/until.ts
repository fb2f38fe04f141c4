/**
 * Polls `check` until it returns something other than undefined, or fails after `timeoutMs`
 * naming what it waited for. Bounded, so a test that waits for the wrong thing stops by itself.
 */
export const until = async <T>(check: () => Promise<T | undefined>, what: string, { timeoutMs = 15_000, everyMs = 50 } = {}): Promise<T> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out waiting for ${what}`)
}
