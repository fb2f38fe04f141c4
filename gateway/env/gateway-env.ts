import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Hono } from 'hono'
import type { SigningCrypto } from '../../shared/internal-signing.ts'
import type { NormalizedPhone, PhoneNumbers } from '../../shared/phone.ts'
import type { JwtVerifier } from '../auth/jwt-verifier.ts'
import type { QrPageKey } from '../auth/qr-page-link.ts'
import type { Principal } from '../auth/scopes.ts'
import type { GatewayConfig } from './config.ts'
import type { HostClient } from '../host/host-client.ts'
import type { PepperKey, PepperSigner } from '../otp/otp-hash.ts'

/**
 * The types the app and its routes share: what the gateway is built from and what each request
 * sees. They live apart from app.ts so that the routes, which app.ts registers, need not import it.
 */

/** Serves one of the API reference's files, or undefined when the runtime has none by that name. */
export type DocsAssets = (file: string, request: Request) => Promise<Response | undefined>

/** Serves one of the dashboard's built files (its script and style sheet), or undefined. */
export type DashboardAssets = DocsAssets

export type GatewayDeps = {
  config: GatewayConfig
  host: HostClient
  verifier: JwtVerifier
  /** How numbers are read: node.ts imports libphonenumber's metadata, worker.ts fetches it from its static assets. */
  phoneNumbers: PhoneNumbers
  clock?: () => number
  /**
   * How webhooks reach receivers: the global fetch by default (Workers, where fetch cannot reach our
   * private network); node.ts passes one that resolves host names and refuses private addresses.
   */
  webhookFetch?: typeof fetch
  /** HMAC for the OTP hashes; Web Crypto by default (Workers), node:crypto from the Node entry. */
  signingCrypto?: SigningCrypto
  /** The API reference's script: node.ts serves it from the package, worker.ts from static assets. */
  docsAssets?: DocsAssets
  /** The dashboard's bundle: node.ts builds it in memory, worker.ts reads it from static assets. */
  dashboardAssets?: DashboardAssets
  /** Where unexpected errors are reported; the gateway itself stays free of Node APIs. */
  onUnexpectedError?: (error: unknown, requestId: string) => void
}

/** What every request's handlers read as `c.var.deps`: the dependencies, with what is derived from them once. */
export type RequestDeps = GatewayDeps & {
  /** A valid number's E.164 form and JID, or a 422. */
  phone(input: string, field?: string): NormalizedPhone
  phoneInfo(input: string): NormalizedPhone
  /** The OTP pepper, imported once. */
  otpPepper: Promise<PepperKey | PepperSigner>
  /** Signs and checks QR page links. */
  qrPageKey: Promise<QrPageKey>
  now(): number
}

export type GatewayEnv = { Variables: { deps: RequestDeps; principal: Principal } }
/** The whole gateway, as node.ts and worker.ts serve it (app.ts builds it). */
export type GatewayApp = Hono<GatewayEnv>
/** One route group (routes/route-groups.ts): its documented routes, built on the group's first request. */
export type RouteGroupApp = OpenAPIHono<GatewayEnv>
