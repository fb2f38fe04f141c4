import type { ExecutionContext } from 'hono'
import { errorEnvelope } from '../shared/errors.ts'
import type { PhoneNumbers } from '../shared/phone.ts'
import { buildGateway } from './build-gateway.ts'
import { parseGatewayConfig } from './env/config.ts'
import type { GatewayConfig } from './env/config.ts'
import type { GatewayApp } from './env/gateway-env.ts'
import { loadPhoneNumbers } from './worker-phone-numbers.ts'
import { isAssetsBinding } from './env/assets-binding.ts'

/** Text bindings (vars and secrets); other binding kinds are not settings and are ignored. */
type WorkerEnv = Record<string, unknown>

const textBindings = (env: WorkerEnv): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))

/** Builds the app from the parsed bindings and the phone metadata. */
export const createWorkerGateway = (env: WorkerEnv, config: GatewayConfig, numbers: PhoneNumbers): GatewayApp => {
  // Cloudflare answers asset paths before the worker runs; this covers run_worker_first and local runtimes.
  const fromAssets = async (_file: string, request: Request) => {
    if (!isAssetsBinding(env.ASSETS)) return undefined
    const asset = await env.ASSETS.fetch(request)
    return asset.ok ? asset : undefined
  }
  return buildGateway(config, {
    phoneNumbers: numbers,
    docsAssets: fromAssets,
    dashboardAssets: fromAssets,
    // Workers Logs collect console output; the error, not the request, so no token is logged.
    onUnexpectedError: (error, requestId) =>
      console.error(JSON.stringify({ level: 'error', requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
  })
}

// Bindings do not change within an isolate, so the app (and its imported keys) is built once.
let app: GatewayApp | undefined
let starting: Promise<GatewayApp> | undefined

/** The configuration first, so a bad one is reported as such, then the phone metadata. */
const start = async (env: WorkerEnv): Promise<GatewayApp> => {
  const config = parseGatewayConfig(textBindings(env))
  return createWorkerGateway(env, config, await loadPhoneNumbers(env))
}

/** Workers entry: the same public API as gateway/node.ts, configured from the env bindings. */
export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    if (app) return app.fetch(request, env, ctx)
    starting ??= start(env)
    return starting.then(
      built => {
        app = built
        return built.fetch(request, env, ctx)
      },
      (error: unknown) => {
        // A misconfigured deploy answers 500 to every call until fixed; only the log says why.
        starting = undefined
        console.error(error instanceof Error ? error.message : String(error))
        return Response.json(errorEnvelope('INTERNAL_ERROR', 'Internal error'), { status: 500 })
      }
    )
  }
}
