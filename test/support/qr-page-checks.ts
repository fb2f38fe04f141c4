import assert from 'node:assert/strict'

/**
 * Opens a QR page link as a browser would and checks what every such page promises (HTML under a
 * nonce CSP, no referrer, the session named); gives the page, its HTML and its state poll's path.
 */
export const openQrPage = async (get: (path: string) => Response | Promise<Response>, path: string, sessionId: string) => {
  const page = await get(path)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /text\/html/)
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'nonce-[^']+'/)
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer')
  const html = await page.text()
  assert.ok(html.includes(`Link session “${sessionId}”`), 'the page names its session')
  const statePath = /data-state="([^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&')
  assert.ok(statePath?.startsWith(`/api/sessions/${sessionId}/qr-page/state?`), 'the page polls its own state')
  return { page, html, statePath: statePath as string }
}
