import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AsyncLocalStorage } from 'node:async_hooks'
import { SerialConnection } from './serial-connection.ts'

describe('the serial connection', () => {
  it('holds other statements while a transaction runs, lets its own through, and disables its AsyncLocalStorage once it ends', async () => {
    const connection = new SerialConnection()
    const order: string[] = []
    const disabled: unknown[] = []
    const originalDisable = AsyncLocalStorage.prototype.disable
    AsyncLocalStorage.prototype.disable = function (this: AsyncLocalStorage<unknown>) {
      disabled.push(this)
      return originalDisable.call(this)
    }
    try {
      let release = () => {}
      const held = new Promise<void>(resolve => (release = resolve))
      const transaction = connection.exclusive(async () => {
        order.push('transaction began')
        await held
        // A nested span runs at once, and its end does not end the outer one.
        await connection.exclusive(async () => order.push('nested'))
        assert.equal(connection.turn(), undefined, 'its own statements still run at once')
        order.push('transaction ends')
      })
      const outside = (async () => {
        await connection.turn()
        order.push('outside statement')
      })()
      await new Promise(resolve => setImmediate(resolve))
      assert.deepEqual(order, ['transaction began'], 'the outside statement waits')
      assert.equal(disabled.length, 0)
      release()
      await Promise.all([transaction, outside])
      assert.deepEqual(order, ['transaction began', 'nested', 'transaction ends', 'outside statement'])
      assert.equal(disabled.length, 1, 'disabled once, when the transaction ended')
      assert.equal(connection.turn(), undefined, 'free again')
    } finally {
      AsyncLocalStorage.prototype.disable = originalDisable
    }
  })
})
