import { htmlPageHeaders } from './html-page.ts'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string)

const STYLE = `
body { font-family: system-ui, sans-serif; display: grid; place-items: center; min-height: 100vh; margin: 0; background: #f4f6f5; color: #1d2b24 }
main { background: #fff; padding: 2rem; border-radius: 12px; box-shadow: 0 2px 12px #0002; text-align: center; max-width: 26rem }
img { width: 264px; height: 264px; image-rendering: pixelated }
.sandbox { background: #fff3c4; border: 1px solid #e0b400; padding: .5rem; border-radius: 6px; font-size: .9rem }
.connected { color: #128c4a; font-size: 1.4rem }
.refreshed { color: #8a5a00; font-weight: 600 }
.failed { color: #b3261e }
`

/**
 * What the page says beyond the QR: once WhatsApp refreshed the code after a scan, and for each
 * reason a link failed (the README's "When linking fails" says the same to operators).
 */
export const QR_PAGE_MESSAGES = {
  scan: 'Scan with WhatsApp: Settings → Linked devices → Link a device',
  refreshed: 'WhatsApp refreshed this code after your scan. Scan it again: Settings → Linked devices → Link a device',
  link_failed: {
    refs_exhausted: 'No code was scanned in time. Restart the session to get new QR codes, then open a new link.',
    pairing_code_expired: 'The pairing code was not entered in time. Request a new pairing code.',
    pairing_refused: 'WhatsApp refused to finish linking with the pairing code. Request a new code, or link with the QR code instead.',
    passkey_required:
      'This WhatsApp account asks for a passkey to link new devices, which this gateway cannot provide. On the phone, remove the passkey (WhatsApp → Settings → Account → Passkeys), restart the session and link again; the passkey can be created again afterwards.'
  }
} as const

// Polls the signed state URL; stops when linked, logged out, failed, or when the link expires.
const SCRIPT = `
const MESSAGES = ${JSON.stringify(QR_PAGE_MESSAGES)}
const main = document.querySelector('main')
const img = document.querySelector('img')
const status = document.querySelector('#status')
const poll = async () => {
  const response = await fetch(main.dataset.state, { cache: 'no-store' }).catch(() => undefined)
  if (!response) { status.textContent = 'Gateway unreachable, retrying…'; return setTimeout(poll, 3000) }
  if (response.status === 401) { img.hidden = true; status.textContent = 'This link has expired. Ask for a new one.'; return }
  const body = await response.json().catch(() => undefined)
  const data = body && body.data
  if (!data) { status.textContent = 'Waiting for the session host…'; return setTimeout(poll, 3000) }
  if (data.status === 'connected') {
    img.hidden = true
    status.className = 'connected'
    status.textContent = 'Connected' + (data.phoneNumber ? ' as +' + data.phoneNumber : '')
    return
  }
  if (data.status === 'logged_out') { img.hidden = true; status.textContent = 'Logged out. Restart the session to link again.'; return }
  if (data.status === 'link_failed') { img.hidden = true; status.className = 'failed'; status.textContent = 'Linking failed: ' + (MESSAGES.link_failed[data.reason] || data.reason); return }
  if (data.qrImage) { img.src = data.qrImage; img.hidden = false; status.className = data.qrRefreshed ? 'refreshed' : ''; status.textContent = data.qrRefreshed ? MESSAGES.refreshed : MESSAGES.scan }
  else status.textContent = 'Waiting for a QR code (' + data.status + ')…'
  setTimeout(poll, 2000)
}
poll()
`

/** The QR page: a shell that polls its signed state URL, with no secret in the markup. */
export const renderQrPage = (input: { sessionId: string; statePath: string; sandbox: boolean; nonce: string }) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Link ${escapeHtml(input.sessionId)} · WhatsApp OTP gateway</title>
<style nonce="${input.nonce}">${STYLE}</style>
</head>
<body>
<main data-state="${escapeHtml(input.statePath)}">
<h1>Link session “${escapeHtml(input.sessionId)}”</h1>
${input.sandbox ? '<p class="sandbox">SANDBOX: this session links by itself to the built-in WhatsApp emulator. Nothing is sent to WhatsApp.</p>' : ''}
<img alt="QR code to link this session" hidden>
<p id="status">Loading…</p>
</main>
<script nonce="${input.nonce}">${SCRIPT}</script>
</body>
</html>
`

/** What an expired or forged link shows instead of the page. */
export const renderExpiredQrPage = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link expired</title></head>
<body><p>This QR page link is invalid or has expired. Ask for a new one with <code>POST /api/sessions/{sessionId}/qr-link</code>.</p></body></html>
`

/** Inline code runs only with the page's nonce; nothing loads from elsewhere and no one can frame it. */
export const qrPageHeaders = (nonce: string) =>
  htmlPageHeaders(
    `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
  )
