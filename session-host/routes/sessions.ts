import { Hono } from 'hono'
import { ok } from '../../shared/errors.ts'
import { SessionId } from '../../shared/ids.ts'
import { CreateSessionRequest, PairingCodeRequest, SESSION_ROUTES as ROUTES } from '../../shared/host-api/sessions.ts'
import { jsonBody } from '../../shared/json-body.ts'
import { createQrImages } from '../sessions/qr-images.ts'
import type { SessionManager } from '../sessions/session-manager.ts'
import { setSessionEndpoint } from '../webhooks/endpoints.ts'

/** Internal session routes: the gateway has already checked the caller's scope and sessions. */
export const sessionRoutes = (sessions: SessionManager, qrImage = createQrImages()) =>
  new Hono()
    .post(ROUTES.create.pattern, async c => {
      const { sessionId, webhook, deviceLabel } = await jsonBody(c, CreateSessionRequest)
      // The webhook is stored with the session, before it starts, so its first events are not missed.
      const prepare = webhook
        ? async (tx: Parameters<typeof setSessionEndpoint>[0]) => {
            await setSessionEndpoint(tx, { ...webhook, sessionId })
          }
        : undefined
      return c.json(ok('Session created', await sessions.create(sessionId, deviceLabel ? { deviceLabel } : {}, prepare)), 201)
    })
    .get(ROUTES.list.pattern, async c => c.json(ok('Sessions', await sessions.list())))
    .get(ROUTES.get.pattern, async c => c.json(ok('Session status', await sessions.view(SessionId.parse(c.req.param('sessionId'))))))
    .get(ROUTES.qr.pattern, async c => {
      const { qr, refreshed, at } = await sessions.qr(SessionId.parse(c.req.param('sessionId')))
      return c.json(ok('QR code', { qr, qrImage: await qrImage(qr), refreshed, timestamp: at.toISOString() }))
    })
    .get(ROUTES.linkState.pattern, async c => {
      const { qr, ...view } = await sessions.linkState(SessionId.parse(c.req.param('sessionId')))
      return c.json(ok('Link state', { ...view, qrImage: qr ? await qrImage(qr) : null }))
    })
    .post(ROUTES.pairingCode.pattern, async c => {
      const { phoneNumber } = await jsonBody(c, PairingCodeRequest)
      const code = await sessions.pairingCode(SessionId.parse(c.req.param('sessionId')), phoneNumber)
      return c.json(ok('Pairing code', { code }))
    })
    .put(ROUTES.restart.pattern, async c => c.json(ok('Session restarted', await sessions.restart(SessionId.parse(c.req.param('sessionId'))))))
    .delete(ROUTES.remove.pattern, async c => {
      const sessionId = SessionId.parse(c.req.param('sessionId'))
      const discarded = await sessions.remove(sessionId)
      return c.json(ok('Session deleted', { sessionId, discarded }))
    })
