import { Hono } from 'hono'
import QRCode from 'qrcode'
import { ok } from '../../shared/errors.ts'
import { SessionId } from '../../shared/ids.ts'
import { CreateSessionRequest, PairingCodeRequest } from '../../shared/host-api/sessions.ts'
import { jsonBody } from '../../shared/json-body.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { setSessionEndpoint } from '../webhooks/endpoints.ts'

/** Internal session routes: the gateway has already checked the caller's scope and sessions. */
export const sessionRoutes = (sessions: SessionManager) =>
  new Hono()
    .post('/', async c => {
      const { sessionId, webhook, deviceLabel } = await jsonBody(c, CreateSessionRequest)
      // The webhook is stored with the session, before it starts, so its first events are not missed.
      const prepare = webhook ? (tx: Parameters<typeof setSessionEndpoint>[0]) => void setSessionEndpoint(tx, { ...webhook, sessionId }) : undefined
      return c.json(ok('Session created', sessions.create(sessionId, deviceLabel ? { deviceLabel } : {}, prepare)), 201)
    })
    .get('/', c => c.json(ok('Sessions', sessions.list())))
    .get('/:id', c => c.json(ok('Session status', sessions.view(SessionId.parse(c.req.param('id'))))))
    .get('/:id/qr', async c => {
      const { qr, refreshed, at } = sessions.qr(SessionId.parse(c.req.param('id')))
      return c.json(ok('QR code', { qr, qrImage: await QRCode.toDataURL(qr), refreshed, timestamp: at.toISOString() }))
    })
    .get('/:id/link-state', async c => {
      const { qr, ...view } = sessions.linkState(SessionId.parse(c.req.param('id')))
      return c.json(ok('Link state', { ...view, qrImage: qr ? await QRCode.toDataURL(qr) : null }))
    })
    .post('/:id/pairing-code', async c => {
      const { phoneNumber } = await jsonBody(c, PairingCodeRequest)
      const code = await sessions.pairingCode(SessionId.parse(c.req.param('id')), phoneNumber)
      return c.json(ok('Pairing code', { code }))
    })
    .put('/:id/restart', async c => c.json(ok('Session restarted', await sessions.restart(SessionId.parse(c.req.param('id'))))))
    .delete('/:id', async c => {
      const sessionId = SessionId.parse(c.req.param('id'))
      await sessions.remove(sessionId)
      return c.json(ok('Session deleted', { sessionId }))
    })
