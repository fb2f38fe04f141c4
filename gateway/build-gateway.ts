import type { SigningCrypto } from '../shared/internal-signing.ts'
import { createGateway } from './app.ts'
import type { PrebuiltRoutes } from './app.ts'
import { createJwtVerifier } from './auth/jwt-verifier.ts'
import type { JwtVerifier } from './auth/jwt-verifier.ts'
import type { GatewayConfig } from './env/config.ts'
import type { GatewayApp, GatewayDeps } from './env/gateway-env.ts'
import { createHostClient } from './host/host-client.ts'
import { buildRouteGroups } from './http/lazy-route-groups.ts'
import { routeGroupsFor } from './route-groups.ts'

/**
 * What each runtime brings of its own (gateway/node.ts, gateway/worker.ts, the in-process test
 * stack); whatever is left out falls back to Web APIs.
 */
export type GatewayAdapters = Pick<GatewayDeps, 'phoneNumbers' | 'webhookFetch' | 'docsAssets' | 'dashboardAssets' | 'onUnexpectedError' | 'clock'> & {
  /** How the host client's calls reach the host; the global fetch by default. */
  hostFetch?: typeof fetch
  /** How uploads stream to the host; `hostFetch` by default. */
  streamFetch?: typeof fetch
  /** Signs host requests and hashes OTPs; Web Crypto by default. */
  signingCrypto?: SigningCrypto
}

/** The token check the configuration asks for: a shared secret or a JWKS URL, with the optional issuer and audience. */
const jwtVerifierFor = (config: GatewayConfig): JwtVerifier =>
  createJwtVerifier({
    ...(config.JWT_SECRET ? { secret: config.JWT_SECRET } : { jwksUrl: config.JWT_JWKS_URL }),
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {})
  })

/** The gateway from its parsed configuration and the runtime's adapters: the one way every entry builds it. */
export const buildGateway = (
  config: GatewayConfig,
  { hostFetch, streamFetch, signingCrypto, ...deps }: GatewayAdapters,
  prebuilt?: PrebuiltRoutes
): GatewayApp =>
  createGateway(
    {
      ...deps,
      config,
      host: createHostClient({ hosts: config.HOST_URL, secret: config.INTERNAL_SECRET, fetch: hostFetch, streamFetch, primitives: signingCrypto }),
      verifier: jwtVerifierFor(config),
      signingCrypto
    },
    prebuilt
  )

/**
 * The gateway with every route built before the first request, for a long-running process
 * (gateway/node.ts): a request is routed once, by the root app, and none waits for a module.
 */
export const buildGatewayAhead = async (config: GatewayConfig, adapters: GatewayAdapters): Promise<GatewayApp> => {
  const [groups, { webhookDeliveryRoute }] = await Promise.all([buildRouteGroups(routeGroupsFor(config.WA_MODE)), import('./webhooks/internal-route.ts')])
  return buildGateway(config, adapters, { groups, webhookDeliveryRoute })
}
