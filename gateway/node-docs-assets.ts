import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { DocsAssets } from './routes/api-docs.ts'

/** Scalar's standalone bundle inside the installed @scalar/api-reference (dist/index.js's sibling). */
export const scalarStandalonePath = () => join(dirname(fileURLToPath(import.meta.resolve('@scalar/api-reference'))), 'browser', 'standalone.js')

type Loaded = { body: Buffer; gzip: Buffer; etag: string }

/**
 * The API reference's script from the package, read and compressed once on first use (3.5 MB, about
 * 1 MB gzipped), then answered from memory with an ETag so a browser revalidates cheaply.
 */
export const createNodeDocsAssets = (): DocsAssets => {
  let loaded: Loaded | undefined
  const load = (): Loaded => {
    if (!loaded) {
      const body = readFileSync(scalarStandalonePath())
      const version = (JSON.parse(readFileSync(join(dirname(scalarStandalonePath()), '..', '..', 'package.json'), 'utf8')) as { version: string }).version
      loaded = { body, gzip: gzipSync(body), etag: `"scalar-${version}-${body.length}"` }
    }
    return loaded
  }
  return async (file, request) => {
    if (file !== 'api-reference.js') return undefined
    const { body, gzip, etag } = load()
    const headers: Record<string, string> = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600', etag, vary: 'accept-encoding' }
    if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
    const gzipped = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')
    return new Response(gzipped ? gzip : body, { headers: gzipped ? { ...headers, 'content-encoding': 'gzip' } : headers })
  }
}
