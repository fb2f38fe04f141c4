import type { RouteGroup } from './http/lazy-route-groups.ts'

/**
 * The public API by route group, in the order the OpenAPI document lists them. A group's module is
 * loaded, and its zod schemas built, only when a request first needs it, so a Workers isolate that
 * wakes for one call does not build every route's schemas first (http/lazy-route-groups.ts).
 * Where two groups' patterns overlap, the earlier wins: the OTP routes come before the messages'
 * `/api/messages/:sessionId/:messageId`. A route marked 'public' is answered without a bearer token.
 */
export const ROUTE_GROUPS: readonly RouteGroup[] = [
  { name: 'health', routes: [['GET', '/api/health', 'public']], load: () => import('./routes/health.ts').then(m => m.registerHealth) },
  {
    name: 'probes',
    routes: [
      ['GET', '/livez'],
      ['GET', '/readyz']
    ],
    load: () => import('./routes/probes.ts').then(m => m.registerProbes)
  },
  { name: 'metrics', routes: [['GET', '/metrics']], load: () => import('./routes/metrics.ts').then(m => m.registerMetrics) },
  {
    name: 'sessions',
    routes: [
      ['POST', '/api/sessions/create'],
      ['GET', '/api/sessions'],
      ['GET', '/api/sessions/:sessionId/:view{status|qr}'],
      ['POST', '/api/sessions/:sessionId/pairing-code'],
      ['PUT', '/api/sessions/:sessionId/restart'],
      ['DELETE', '/api/sessions/:sessionId']
    ],
    load: () => import('./routes/sessions.ts').then(m => m.registerSessions)
  },
  {
    name: 'session-governor',
    routes: [
      ['GET', '/api/sessions/:sessionId/governor'],
      ['PUT', '/api/sessions/:sessionId/governor'],
      ['POST', '/api/sessions/:sessionId/governor/resume']
    ],
    load: () => import('./routes/session-governor.ts').then(m => m.registerSessionGovernor)
  },
  {
    name: 'qr-page',
    routes: [
      ['POST', '/api/sessions/:sessionId/qr-link'],
      // The QR page carries its own signed link instead of a bearer token.
      ['GET', '/api/sessions/:sessionId/qr-page', 'public'],
      ['GET', '/api/sessions/:sessionId/qr-page/state', 'public']
    ],
    load: () => import('./routes/qr-page.ts').then(m => m.registerQrPage)
  },
  {
    name: 'otp',
    routes: [
      ['POST', '/api/messages/:sessionId/otp'],
      ['POST', '/api/otp/verify'],
      ['GET', '/api/otp/:otpId'],
      ['POST', '/api/otp/:otpId/cancel'],
      ['GET', '/api/messages/:sessionId/generate-otp'],
      ['GET', '/api/otp'],
      ['GET', '/api/messages/format-phone/:number']
    ],
    load: () => import('./routes/otp.ts').then(m => m.registerOtp)
  },
  {
    name: 'messages',
    routes: [
      ['POST', '/api/messages/:sessionId/text'],
      ['GET', '/api/messages/:sessionId/:messageId'],
      ['GET', '/api/messages/:sessionId'],
      ['GET', '/api/messages']
    ],
    load: () => import('./routes/messages.ts').then(m => m.registerMessages)
  },
  {
    name: 'rich-messages',
    routes: [['POST', '/api/messages/:sessionId/:kind{location|button|list|contact|reaction|poll}']],
    load: () => import('./routes/rich-messages.ts').then(m => m.registerRichMessages)
  },
  {
    name: 'media-messages',
    routes: [['POST', '/api/messages/:sessionId/:kind{image|video|audio|document}']],
    load: () => import('./routes/media-messages.ts').then(m => m.registerMediaMessages)
  },
  {
    name: 'numbers',
    routes: [['GET', '/api/messages/:sessionId/check-number/:number']],
    load: () => import('./routes/numbers.ts').then(m => m.registerNumbers)
  },
  {
    name: 'sandbox',
    routes: [
      ['GET', '/api/sandbox/messages'],
      ['POST', '/api/sandbox/inbound']
    ],
    load: () => import('./routes/sandbox.ts').then(m => m.registerSandbox),
    sandboxOnly: true
  },
  {
    name: 'webhooks',
    routes: [
      ['PUT', '/api/sessions/:sessionId/webhook'],
      ['GET', '/api/sessions/:sessionId/webhook'],
      ['DELETE', '/api/sessions/:sessionId/webhook'],
      ['GET', '/api/webhooks/dead-letters'],
      ['GET', '/api/webhooks/deliveries'],
      ['POST', '/api/webhooks/dead-letters/:eventId/replay']
    ],
    load: () => import('./routes/webhooks.ts').then(m => m.registerWebhooks)
  },
  { name: 'stats', routes: [['GET', '/api/stats']], load: () => import('./routes/stats.ts').then(m => m.registerStats) },
  { name: 'events', routes: [['GET', '/api/events']], load: () => import('./routes/events.ts').then(m => m.registerEvents) }
]

/** The groups a gateway in this mode serves: the sandbox's own only in sandbox mode. */
export const routeGroupsFor = (mode: 'live' | 'sandbox'): RouteGroup[] => ROUTE_GROUPS.filter(group => !group.sandboxOnly || mode === 'sandbox')
