/**
 * Runs `tick` now and again `everyMs` after each run ends, never two at once (an answer that comes
 * late must not overwrite a newer one); the returned function stops it.
 */
export const poll = (tick: () => Promise<unknown>, everyMs: number) => {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const run = async () => {
    await tick().catch(() => undefined)
    if (!stopped) timer = setTimeout(() => void run(), everyMs)
  }
  void run()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
