import pino from 'pino'
import { containLibsignalConsole } from '../../session-host/libsignal-console.ts'
import { WaSim } from '../../session-host/sim/index.ts'
import { BaileysDriver } from '../../session-host/sim/testing/baileys-driver.ts'

/**
 * The sends benchmark's baseline (test/bench/sends.ts), in its own process: one Baileys client, as
 * a hand-rolled script runs it (auth in memory, no database, no API), sending texts to new numbers
 * one after another. With SIM_URL it connects to the emulator in the parent and hands each QR up
 * for the parent's emulator to scan; without, it runs the emulator inside itself, as sandbox mode
 * does, and times the sends to the last decrypted copy itself.
 *
 * Parent → child: `{ send: { numbers, text } }`; child → parent: `{ qr }`, `{ open: true }`, and
 * `{ sent, ms, cpuMs }` once a batch is out (ms and cpuMs measured here only with the emulator inside).
 */
type Command = { send: { numbers: string[]; text: string } }

const reply = (message: unknown) => process.send?.(message)
const cpuMs = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

// libsignal prints every closed session record; the host drops them too.
containLibsignalConsole(pino({ level: 'silent' }))
const url = process.env.SIM_URL
const sim = url ? undefined : new WaSim({ autoContacts: true, magicNumbers: true, autoReceipts: { deliveredAfterMs: 1_000, readAfterMs: 3_000 } })
const accountPn = process.env.ACCOUNT_PN ?? '6281100000001'
const driver = new BaileysDriver({
  url: url ?? (await sim!.start()),
  ...(sim ? { sim, scanAs: accountPn } : { onQr: qr => reply({ qr }) }),
  reconnect: true
}).start()
await driver.waitOpen(1, 60_000)
reply({ open: true })

process.on('message', async ({ send }: Command) => {
  const before = sim?.sent.length ?? 0
  const started = performance.now()
  const cpuBefore = cpuMs()
  for (const number of send.numbers) await driver.socket.sendMessage(`${number}@s.whatsapp.net`, { text: send.text })
  if (sim) {
    while (sim.sent.length - before < send.numbers.length) await new Promise(resolve => setTimeout(resolve, 5))
    reply({ sent: send.numbers.length, ms: performance.now() - started, cpuMs: cpuMs() - cpuBefore })
  } else reply({ sent: send.numbers.length })
})
process.on('disconnect', async () => {
  await driver.stop()
  await sim?.stop()
  process.exit(0)
})
