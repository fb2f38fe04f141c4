import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * One SQLite connection shared by every request of the process. A transaction on it spans awaits,
 * so while one is open every other statement of the process must wait for it to end: run alone it
 * would land inside that transaction (and vanish with its rollback). `exclusive` opens such a span
 * for the caller's async context; `turn` is what each statement awaits before it runs.
 */
export class SerialConnection {
  private readonly context = new AsyncLocalStorage<symbol>()
  private holder: symbol | undefined
  private readonly waiting: (() => void)[] = []

  /** Resolves when a statement from the current async context may run. */
  turn(): Promise<void> | undefined {
    if (this.holder === undefined || this.context.getStore() === this.holder) return undefined
    return this.free().then(() => this.turn())
  }

  /** Runs `work` with the connection to itself; nested calls from inside it run at once. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.holder !== undefined && this.context.getStore() === this.holder) return work()
    while (this.holder !== undefined) await this.free()
    const token = Symbol('transaction')
    this.holder = token
    try {
      return await this.context.run(token, work)
    } finally {
      this.holder = undefined
      // An enabled AsyncLocalStorage costs every promise of the process (Node 20 runs it on each
      // one); between transactions nothing needs it, and the next run enables it again.
      this.context.disable()
      for (const wake of this.waiting.splice(0)) wake()
    }
  }

  private free(): Promise<void> {
    return new Promise(resolve => this.waiting.push(resolve))
  }
}
