/**
 * The API paths answered without a bearer token: health, the API reference, and the QR page,
 * which carries its own signed link instead (routes/qr-page.ts).
 */
export const PUBLIC_PATHS = [
  '/api/health',
  '/api/openapi.json',
  '/api/docs',
  '/api/docs/assets/*',
  '/api/sessions/:sessionId/qr-page',
  '/api/sessions/:sessionId/qr-page/state'
]
