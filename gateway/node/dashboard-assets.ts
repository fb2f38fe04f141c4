import { createHash } from 'node:crypto'
import { buildDashboard } from '../../dashboard/build.ts'
import type { DashboardAssets } from '../env/gateway-env.ts'
import { onceUntilFailed } from '../../shared/once-until-failed.ts'

type Built = Map<string, { body: Uint8Array; contentType: string; etag: string }>

/**
 * The dashboard's bundle, built by esbuild on first use and answered from memory with an ETag
 * (the bundle is small, about 30 KB, so it is not compressed). A build failure is not cached: the
 * next request tries again.
 */
export const createNodeDashboardAssets = (build = buildDashboard): DashboardAssets => {
  const built = onceUntilFailed(async (): Promise<Built> => {
    const files = await build()
    return new Map([...files].map(([name, file]) => [name, { ...file, etag: `"${createHash('sha256').update(file.body).digest('base64url').slice(0, 16)}"` }]))
  })
  return async (name, request) => {
    const file = (await built()).get(name)
    if (!file) return undefined
    const headers = { 'content-type': file.contentType, 'cache-control': 'no-cache', etag: file.etag, 'x-content-type-options': 'nosniff' }
    if (request.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers })
    return new Response(file.body, { headers })
  }
}
