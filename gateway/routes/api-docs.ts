import { errorEnvelope } from '../../shared/errors.ts'
import type { DocsAssets, GatewayApp } from '../env/gateway-env.ts'
import { htmlPageHeaders, newNonce } from '../http/html-page.ts'

/**
 * Where the page loads Scalar's standalone bundle (@scalar/api-reference, dist/browser). On Node
 * the gateway serves it from the installed package; on Workers it is a static asset (wrangler.toml
 * `[assets]`, filled by scripts/worker-assets.ts), so it never counts toward the script bundle.
 */
export const API_DOCS_SCRIPT_PATH = '/api/docs/assets/api-reference.js'

/**
 * Everything Scalar would fetch from elsewhere is turned off: its web fonts, the AI agent and the
 * registry it searches, telemetry and the developer toolbar. The reference reads only our document.
 */
const SCALAR_CONFIGURATION = {
  url: '/api/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never'
}

const renderDocsPage = (nonce: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WhatsApp OTP gateway API</title>
</head>
<body>
<div id="app"></div>
<script src="${API_DOCS_SCRIPT_PATH}"></script>
<script nonce="${nonce}">Scalar.createApiReference('#app', ${JSON.stringify(SCALAR_CONFIGURATION)})</script>
</body>
</html>
`

/**
 * Nothing from another origin: scripts only from here or with this response's nonce, requests only
 * to this API. Styles may be inline because the bundle inserts its own style elements (they carry
 * no nonce); fonts and images stay on this origin or in data: URLs.
 */
const docsPageHeaders = (nonce: string) =>
  htmlPageHeaders(
    `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`
  )

/** The API reference at /api/docs, rendered in the browser from /api/openapi.json, offline. */
export const registerApiDocs = (app: GatewayApp, assets: DocsAssets | undefined) => {
  app.get('/api/docs', c => {
    const nonce = newNonce()
    return c.html(renderDocsPage(nonce), 200, docsPageHeaders(nonce))
  })
  app.get('/api/docs/assets/:file', async c => {
    const asset = await assets?.(c.req.param('file'), c.req.raw)
    return asset ?? c.json(errorEnvelope('NOT_FOUND', 'No such file'), 404)
  })
}
