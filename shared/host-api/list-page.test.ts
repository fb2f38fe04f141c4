import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Cursor, decodeCursor, encodeCursor } from './list-page.ts'

describe('list cursors', () => {
  it('give back the place they were made for, as URL-safe text', () => {
    const cursor = encodeCursor({ createdAt: 1_800_000_000_123, key: ['evt_abc/+=', 'whe_x'] })
    assert.match(cursor, /^[A-Za-z0-9_-]+$/)
    assert.deepEqual(decodeCursor(cursor), { createdAt: 1_800_000_000_123, key: ['evt_abc/+=', 'whe_x'] })
  })

  it('refuse what is not one of ours', () => {
    const forged = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    for (const cursor of ['', 'not base64!', 'AAAA', forged({ t: 'soon', k: ['a'] }), forged({ t: 1, k: [] }), forged({ t: -1, k: ['a'] })]) {
      assert.equal(decodeCursor(cursor), undefined, cursor)
      assert.equal(Cursor.safeParse(cursor).success, false, cursor)
    }
  })
})
