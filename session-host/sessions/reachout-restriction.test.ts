import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { WASocket } from '@whiskeysockets/baileys'
import pino from 'pino'
import { ReachoutRestriction } from './reachout-restriction.ts'
import type { ReachoutTimelockUpdate } from './reachout-restriction.ts'

const locked: ReachoutTimelockUpdate = { isActive: true, timeEnforcementEnds: new Date('2026-12-02T07:00:00Z'), enforcementType: 'DEFAULT' }

/** A restriction, and a socket whose read answers `answer` as Baileys does: emitted first, then returned. */
const setup = (answer: ReachoutTimelockUpdate) => {
  const changes: (string | null)[] = []
  const restriction: ReachoutRestriction = new ReachoutRestriction(pino({ level: 'silent' }), () => changes.push(restriction.current?.until ?? null))
  let answerRead!: () => void
  const socket = {
    fetchAccountReachoutTimelock: () =>
      new Promise<ReachoutTimelockUpdate>(resolve => {
        answerRead = () => {
          restriction.update(answer)
          resolve(answer)
        }
      })
  } as unknown as WASocket
  return { restriction, changes, socket, answerRead: () => answerRead() }
}

describe('the reach-out restriction', () => {
  it('shows what a read answers, once, and only changes as news', async () => {
    const { restriction, changes, socket, answerRead } = setup(locked)
    restriction.read(socket)
    answerRead()
    await new Promise(resolve => setImmediate(resolve))
    restriction.update({ ...locked })
    assert.deepEqual(changes, ['2026-12-02T07:00:00.000Z'])
  })

  it('lets a push that comes while a read is out win over the read’s answer handed over after it', async () => {
    const { restriction, changes, socket, answerRead } = setup(locked)
    restriction.read(socket)
    // The lift is pushed; Baileys hands it over before the (older) answer of the read.
    restriction.update({ isActive: false })
    answerRead()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(restriction.current, undefined)
    assert.deepEqual(changes, [])
  })
})
