import { Hono } from 'hono'
import type { proto } from '@whiskeysockets/baileys'
import { appError, ok } from '../../shared/errors.ts'
import { SANDBOX_ROUTES as ROUTES, SandboxInboundRequest, SandboxPairingCodeRequest, SandboxScanRequest } from '../../shared/host-api/sandbox.ts'
import { jsonBody } from '../../shared/json-body.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import type { SharedSandbox } from '../sandbox/shared-sandbox.ts'
import type { SessionManager } from '../sessions/session-manager.ts'

const textOf = (message: proto.IMessage): string | undefined =>
  message.conversation ??
  message.extendedTextMessage?.text ??
  message.imageMessage?.caption ??
  message.videoMessage?.caption ??
  message.documentMessage?.caption ??
  undefined

/**
 * Sandbox-only routes under /internal/sandbox. `GET /messages?to=E164digits`: what simulated
 * recipients decrypted, with the session that sent each (found by its linked number).
 * `POST /inbound`: a contact sends a session a text or a file, as `message.received` then shows.
 */
export const sandboxRoutes = (sandbox: Sandbox, sessions: SessionManager) =>
  new Hono()
    .get(ROUTES.messages.pattern, async c => {
      const to = c.req.query('to')
      const sessionOf = new Map((await sessions.list()).map(session => [session.phoneNumber, session.sessionId]))
      const messages = sandbox
        .sent()
        .filter(m => !to || m.to.startsWith(`${to}@`))
        .map(m => {
          const received = m.decrypted.filter(d => d.jid.startsWith(m.to.split('@')[0] ?? '')).map(d => d.message)
          return {
            messageId: m.id,
            sessionId: sessionOf.get(m.accountPn) ?? null,
            to: m.to,
            refusedWith: m.refusedWith ?? null,
            text: received.map(textOf).find(Boolean) ?? null,
            received
          }
        })
      return c.json(ok('Sandbox: what the simulated recipients decrypted', messages))
    })
    .post(ROUTES.inbound.pattern, async c => {
      const body = await jsonBody(c, SandboxInboundRequest)
      const accountPn = (await sessions.view(body.sessionId)).phoneNumber
      if (!accountPn) throw appError('SESSION_NOT_CONNECTED', `Session ${body.sessionId} is not linked`)
      const messageId = await sandbox.inbound(body, accountPn)
      return c.json(ok('Sandbox: the contact sent it', { messageId, sessionId: body.sessionId, from: body.from }), 201)
    })
    .get(ROUTES.emulator.pattern, c => c.json(ok("Sandbox: the fleet's emulator", sandbox.emulator())))
    .post(ROUTES.scan.pattern, async c => {
      const { sessionId, qr } = await jsonBody(c, SandboxScanRequest)
      await sandbox.autoLink(sessionId, qr)
      return c.json(ok('Sandbox: the phone scanned the QR', { scanned: true }))
    })
    .post(ROUTES.enterPairingCode.pattern, async c => {
      const { phoneNumber, code } = await jsonBody(c, SandboxPairingCodeRequest)
      await sandbox.enterPairingCode(phoneNumber, code)
      return c.json(ok('Sandbox: the phone entered the pairing code', { linked: true }))
    })

/** On the other hosts of a sandbox fleet, the read-back and inbound requests go to the emulator's host. */
export const sharedSandboxRoutes = (sandbox: SharedSandbox) => {
  const app = new Hono()
  for (const route of [ROUTES.messages, ROUTES.inbound])
    app.on(route.method, route.pattern, async c => {
      const url = new URL(c.req.url)
      const body = route.method === 'GET' ? undefined : await c.req.text()
      return sandbox.forward(route.method, `${url.pathname}${url.search}`, body)
    })
  return app
}
