import { errorEnvelope } from '../../shared/errors.ts'
import type { DashboardAssets, GatewayApp } from '../env/gateway-env.ts'
import { htmlPageHeaders } from '../http/html-page.ts'

/** Where the page loads its bundle (dashboard/build.ts writes these names). */
export const DASHBOARD_ASSET_PATHS = { script: '/dashboard/assets/app.js', style: '/dashboard/assets/app.css' } as const

/**
 * The page is an empty shell: the bundle draws every screen from the public API with the
 * operator's token, so the page itself holds nothing secret and needs no token to load.
 */
const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>WhatsApp OTP gateway · dashboard</title>
<link rel="stylesheet" href="${DASHBOARD_ASSET_PATHS.style}">
</head>
<body>
<noscript>The dashboard needs JavaScript.</noscript>
<div id="app"></div>
<script type="module" src="${DASHBOARD_ASSET_PATHS.script}"></script>
</body>
</html>
`

/**
 * Self only, and no inline code at all: the bundle and its style sheet come from this origin, it
 * talks only to this API, and the QR codes are data: URLs the API returns.
 */
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The operator dashboard at /dashboard, a client of the public API (dashboard/src). */
export const registerDashboard = (app: GatewayApp, assets: DashboardAssets | undefined) => {
  app.get('/dashboard', c => c.html(DASHBOARD_PAGE, 200, htmlPageHeaders(DASHBOARD_CSP)))
  app.get('/dashboard/', c => c.redirect('/dashboard', 301))
  app.get('/dashboard/assets/:file', async c => {
    const asset = await assets?.(c.req.param('file'), c.req.raw)
    return asset ?? c.json(errorEnvelope('NOT_FOUND', 'No such file'), 404)
  })
}
