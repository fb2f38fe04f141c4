import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import type { DocsAssets } from '../env/gateway-env.ts'

/** Scalar's standalone bundle inside the installed @scalar/api-reference (dist/index.js's sibling). */
export const scalarStandalonePath = () => join(dirname(fileURLToPath(import.meta.resolve('@scalar/api-reference'))), 'browser', 'standalone.js')

const gzipAsync = promisify(gzip)

type Loaded = { body: Buffer; gzip: Buffer; etag: string }

/**
 * The API reference's script from the package, read and compressed once on first use (3.5 MB, about
 * 1 MB gzipped; off the event loop, so other requests go on meanwhile), then answered from memory
 * with an ETag so a browser revalidates cheaply.
 */
export const createNodeDocsAssets = (): DocsAssets => {
  let loaded: Promise<Loaded> | undefined
  const load = async (): Promise<Loaded> => {
    const path = scalarStandalonePath()
    const [body, manifest] = await Promise.all([readFile(path), readFile(join(dirname(path), '..', '..', 'package.json'), 'utf8')])
    const { version } = JSON.parse(manifest) as { version: string }
    return { body, gzip: await gzipAsync(body), etag: `"scalar-${version}-${body.length}"` }
  }
  return async (file, request) => {
    if (file !== 'api-reference.js') return undefined
    loaded ??= load()
    const { body, gzip, etag } = await loaded
    const headers: Record<string, string> = {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      etag,
      vary: 'accept-encoding'
    }
    if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
    const gzipped = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
    return new Response(gzipped ? gzip : body, { headers: gzipped ? { ...headers, 'content-encoding': 'gzip' } : headers })
  }
}
