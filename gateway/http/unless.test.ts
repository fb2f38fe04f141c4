import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { pathIn, unless } from './unless.ts'

describe('middleware that skips some requests', () => {
  it('runs for every request but those its patterns match, whose handlers still run', async () => {
    const app = new Hono()
    app.use(
      '*',
      unless(pathIn(['/open', '/rooms/:id/door', '/files/*']), async (c, next) => {
        c.header('x-checked', 'yes')
        await next()
      })
    )
    app.all('*', c => c.text(c.req.path))
    const checked = async (path: string) => (await app.request(path)).headers.get('x-checked') === 'yes'
    assert.deepEqual(await Promise.all(['/open', '/rooms/7/door', '/files/a/b.png', '/closed', '/rooms/7', '/rooms/7/door/x', '/open/more'].map(checked)), [
      false,
      false,
      false,
      true,
      true,
      true,
      true
    ])
    assert.equal(await (await app.request('/rooms/7/door')).text(), '/rooms/7/door')
  })
})
