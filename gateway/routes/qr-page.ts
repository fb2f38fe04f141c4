import { createRoute, z } from '@hono/zod-openapi'
import { appError } from '../../shared/errors.ts'
import type { Context } from 'hono'
import { bearerToken } from '../auth/middleware.ts'
import { canUseSession, hasScope, requireScope, requireSession } from '../auth/scopes.ts'
import { QR_PAGE_LINK_TTL_SECONDS, qrPagePath, signQrPageLink, verifyQrPageLink } from '../auth/qr-page-link.ts'
import type { RouteGroupApp, GatewayEnv } from '../env/gateway-env.ts'
import { newNonce } from '../http/html-page.ts'
import { qrPageHeaders, renderExpiredQrPage, renderQrPage } from '../http/qr-page-html.ts'
import { envelope, errorResponses, json, SessionIdParam, SessionView } from '../http/schemas.ts'
import { SESSION_ROUTES } from '../../shared/host-api/sessions.ts'

const Params = z.object({ sessionId: SessionIdParam })
const LinkQuery = z.object({ expires: z.string().optional(), signature: z.string().optional() })

const mintLink = createRoute({
  method: 'post',
  path: '/api/sessions/{sessionId}/qr-link',
  tags: ['Sessions'],
  summary: 'A short-lived signed link to the QR page, to open in a browser or hand to whoever holds the phone',
  security: [{ bearerAuth: [] }],
  request: { params: Params },
  responses: {
    201: json(envelope(z.object({ url: z.url(), path: z.string(), expiresAt: z.string() })), 'Link'),
    ...errorResponses(404)
  }
})

const page = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/qr-page',
  tags: ['Sessions'],
  summary: 'HTML page that shows the live QR and turns to "connected" by itself (needs a signed link, or a bearer token that may read the session)',
  request: { params: Params, query: LinkQuery },
  responses: {
    200: { description: 'The page', content: { 'text/html': { schema: z.string() } } },
    401: { description: 'The link is invalid or has expired', content: { 'text/html': { schema: z.string() } } }
  }
})

const state = createRoute({
  method: 'get',
  path: '/api/sessions/{sessionId}/qr-page/state',
  tags: ['Sessions'],
  summary: 'What the QR page polls: status and the current QR image (needs a signed link)',
  request: { params: Params, query: LinkQuery },
  responses: {
    200: json(
      envelope(
        SessionView.pick({ sessionId: true, status: true, reason: true, phoneNumber: true }).extend({
          qrImage: z.string().nullable(),
          qrRefreshed: z.boolean().openapi({ description: 'WhatsApp rotated the code after a scan: scan the code shown now again' })
        })
      ),
      'Link state'
    ),
    ...errorResponses(404)
  }
})

type PageContext = Context<GatewayEnv>
type Link = { sessionId: string; expires: number; signature: string }

/** The page's own signed link, when the request carries a valid one. */
const signedLink = async (c: PageContext): Promise<Link | undefined> => {
  const sessionId = c.req.param('sessionId') ?? ''
  const { expires, signature } = c.req.query()
  const valid = await verifyQrPageLink(await c.var.deps.qrPageKey, { sessionId, expires, signature }, c.var.deps.now())
  return valid ? { sessionId, expires: Number(expires), signature: signature as string } : undefined
}

/**
 * The original API served this page to any caller; here a caller with a bearer token that may
 * read the session gets it too, with a freshly signed link for the page to poll.
 */
const linkForBearer = async (c: PageContext): Promise<Link | undefined> => {
  const token = bearerToken(c.req.header('authorization'))
  if (!token) return undefined
  const principal = await c.var.deps.verifier.verify(token).catch(() => undefined)
  const sessionId = c.req.param('sessionId') ?? ''
  if (!principal || !hasScope(principal, 'sessions:read') || !canUseSession(principal, sessionId)) return undefined
  await c.var.deps.host.call(SESSION_ROUTES.get, { sessionId })
  return signQrPageLink(await c.var.deps.qrPageKey, sessionId, Math.floor(c.var.deps.now() / 1000) + QR_PAGE_LINK_TTL_SECONDS)
}

export const registerQrPage = (app: RouteGroupApp) =>
  app
    .openapi(mintLink, async c => {
      const { sessionId } = c.req.valid('param')
      requireScope(c.var.principal, 'sessions:read')
      requireSession(c.var.principal, sessionId)
      await c.var.deps.host.call(SESSION_ROUTES.get, { sessionId })
      const expires = Math.floor(c.var.deps.now() / 1000) + QR_PAGE_LINK_TTL_SECONDS
      const link = await signQrPageLink(await c.var.deps.qrPageKey, sessionId, expires)
      const path = qrPagePath(link)
      return c.json(
        {
          success: true as const,
          message: 'QR page link',
          data: { url: new URL(path, c.req.url).href, path, expiresAt: new Date(expires * 1000).toISOString() }
        },
        201
      )
    })
    .openapi(page, async c => {
      const { sessionId } = c.req.valid('param')
      const nonce = newNonce()
      const link = (await signedLink(c)) ?? (await linkForBearer(c))
      if (!link) return c.html(renderExpiredQrPage(), 401, qrPageHeaders(nonce))
      const statePath = qrPagePath(link, 'qr-page/state')
      return c.html(renderQrPage({ sessionId, statePath, sandbox: c.var.deps.config.WA_MODE === 'sandbox', nonce }), 200, qrPageHeaders(nonce))
    })
    .openapi(state, async c => {
      const { sessionId } = c.req.valid('param')
      const { expires, signature } = c.req.valid('query')
      if (!(await verifyQrPageLink(await c.var.deps.qrPageKey, { sessionId, expires, signature }, c.var.deps.now())))
        throw appError('UNAUTHORIZED', 'The QR page link is invalid or has expired')
      const data = await c.var.deps.host.call(SESSION_ROUTES.linkState, { sessionId })
      return c.json({ success: true as const, message: 'Link state', data }, 200, { 'cache-control': 'no-store' })
    })
