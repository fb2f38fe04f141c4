/**
 * `run` made on the first call, its promise shared by every call after it, until it fails: a
 * failure is not remembered, and the next call runs it again (a build or a read that failed for
 * a moment is tried again on the next request, not answered with the same error for good).
 */
export const onceUntilFailed = <T>(run: () => Promise<T>): (() => Promise<T>) => {
  let current: Promise<T> | undefined
  return () => {
    if (!current) {
      const attempt = run()
      current = attempt
      attempt.catch(() => {
        if (current === attempt) current = undefined
      })
    }
    return current
  }
}
