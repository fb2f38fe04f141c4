import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { toErrorResponse } from '../shared/error-response.ts'
import { appError, errorEnvelope } from '../shared/errors.ts'
import { bearerAuth } from './auth/middleware.ts'
import { deriveQrPageKey } from './auth/qr-page-link.ts'
import { importPepper } from './otp/otp-hash.ts'
import type { GatewayApp, GatewayDeps, GatewayEnv, RequestDeps } from './env/gateway-env.ts'
import { documentedRoutes, lazyApp, mountRouteGroups, publicRoutePaths } from './http/lazy-route-groups.ts'
import type { BuiltRouteGroups } from './http/lazy-route-groups.ts'
import { isMediaUpload } from './http/media-upload.ts'
import { JSON_BODY_TYPES, originalApiBodies, withFormBodies } from './http/original-api.ts'
import { pathIn, unless } from './http/unless.ts'
import { registerApiDocs } from './routes/api-docs.ts'
import { registerDashboard } from './routes/dashboard.ts'
import { onceUntilFailed } from '../shared/once-until-failed.ts'
import { ROUTE_GROUPS, routeGroupsFor } from './route-groups.ts'
import type { webhookDeliveryRoute } from './webhooks/internal-route.ts'

/**
 * What a long-running process builds before it listens (build-gateway.ts): the route groups'
 * apps and the internal webhook route's module. Without them each is loaded on its first request,
 * as a Workers isolate that may wake for one call is better off.
 */
export type PrebuiltRoutes = { groups: BuiltRouteGroups; webhookDeliveryRoute: typeof webhookDeliveryRoute }

/** Builds the public API from its dependencies; the runtime (Node or Workers) only serves it. */
export const createGateway = (deps: GatewayDeps, prebuilt?: PrebuiltRoutes): GatewayApp => {
  const requestDeps: RequestDeps = {
    ...deps,
    // A refusal names the field the number came in: `to` unless the route says otherwise.
    phone: (input, field = 'to') => deps.phoneNumbers.requireJid(input, deps.config.DEFAULT_COUNTRY, field),
    phoneInfo: input => deps.phoneNumbers.normalizePhone(input, deps.config.DEFAULT_COUNTRY),
    otpPepper: deps.signingCrypto
      ? Promise.resolve({ sign: (data: Uint8Array) => deps.signingCrypto!.hmacSha256(deps.config.OTP_PEPPER, data) })
      : importPepper(deps.config.OTP_PEPPER),
    qrPageKey: deriveQrPageKey(deps.config.INTERNAL_SECRET),
    now: deps.clock ?? Date.now
  }
  const app: GatewayApp = new Hono<GatewayEnv>()
  const auth = bearerAuth(deps.verifier)

  app.use('*', async (c, next) => {
    c.set('deps', requestDeps)
    await next()
    // Every answer says when it comes from the sandbox, so no one mistakes it for WhatsApp.
    if (deps.config.WA_MODE === 'sandbox') c.header('x-wa-mode', 'sandbox')
  })
  const tooLarge = () => {
    throw appError('PAYLOAD_TOO_LARGE', `Request body exceeds ${deps.config.MAX_BODY_BYTES} bytes`)
  }
  const countedLimit = bodyLimit({ maxSize: deps.config.MAX_BODY_BYTES, onError: tooLarge })
  // Media uploads stream through with their own 50 MB cap (routes/media-messages.ts).
  app.use(
    '/api/*',
    unless(isMediaUpload, async (c, next) => {
      // A declared length is checked from the header, as bodyLimit would, without asking for the body
      // stream (which on Node builds a whole Web Request); only chunked bodies are counted.
      const length = c.req.header('content-length')
      if (length === undefined || c.req.header('transfer-encoding') !== undefined) return countedLimit(c, next)
      if (Number.parseInt(length, 10) > deps.config.MAX_BODY_BYTES) tooLarge()
      await next()
    })
  )
  // The API reference, and the routes the table marks public (health, the QR page).
  const publicPaths = ['/api/openapi.json', '/api/docs', '/api/docs/assets/*', ...publicRoutePaths(ROUTE_GROUPS)]
  app.use('/api/*', unless(pathIn(publicPaths), auth))
  app.use('/api/*', unless(isMediaUpload, originalApiBodies()))

  const groups = routeGroupsFor(deps.config.WA_MODE)
  mountRouteGroups(app, groups, prebuilt?.groups)
  // The host hands each webhook attempt to the gateway to sign and send (webhooks/internal-route.ts).
  const deliveryRoute = (route: typeof webhookDeliveryRoute) =>
    route({
      secret: deps.config.INTERNAL_SECRET,
      timeoutMs: deps.config.WEBHOOK_TIMEOUT_MS,
      allowedHosts: deps.config.WEBHOOK_ALLOWED_HOSTS,
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.webhookFetch ? { fetch: deps.webhookFetch } : {})
    })
  if (prebuilt) app.route('/', deliveryRoute(prebuilt.webhookDeliveryRoute))
  else
    app.all(
      '/internal/*',
      lazyApp(() => import('./webhooks/internal-route.ts').then(module => deliveryRoute(module.webhookDeliveryRoute)))
    )

  // The document is built once (it needs every group), on the first request for it.
  const openApiDocument = onceUntilFailed(async () => {
    const documented = await documentedRoutes(groups)
    documented.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    return withFormBodies(
      documented.getOpenAPI31Document({
        openapi: '3.1.0',
        info: { title: 'WhatsApp OTP gateway', version: '0.1.0', description: 'Send and verify one-time codes over WhatsApp.' }
      })
    )
  })
  app.get('/api/openapi.json', async c => c.json(await openApiDocument()))
  registerApiDocs(app, deps.docsAssets)
  registerDashboard(app, deps.dashboardAssets)

  app.notFound(c => c.json(errorEnvelope('NOT_FOUND', 'No such route', undefined, crypto.randomUUID()), 404))
  app.onError((error, c) => {
    const requestId = crypto.randomUUID()
    const response = toErrorResponse(error, requestId, { acceptedMediaTypes: JSON_BODY_TYPES })
    if (response.unexpected) deps.onUnexpectedError?.(error, requestId)
    return c.json(response.body, response.status as 500, response.headers)
  })
  return app
}
