import { api, failureText } from './api.ts'
import { field, h, note } from './dom.ts'
import { poll } from './poll.ts'
import type { Qr, Session } from './types.ts'
import { sessionProblem } from './sessions-screen.ts'

/**
 * Linking one session: the QR as the server rotates it (polled, like the one-session QR page),
 * or a pairing code for a phone number; it turns to "Connected as …" once linked.
 */
export const linkScreen = (main: HTMLElement, [sessionId = '']: string[]) => {
  const path = `/api/sessions/${encodeURIComponent(sessionId)}`
  const status = h('p', { id: 'link-status', role: 'status' }, 'Waiting for the session…')
  const image = h('img', { id: 'qr', alt: `QR code to link ${sessionId}`, width: 264, height: 264, hidden: true })
  const phone = h('input', { name: 'phoneNumber', inputmode: 'tel', autocomplete: 'off', required: true })
  const code = h('output', { id: 'pairing-code' })
  const pairing = h(
    'form',
    { class: 'inline', 'aria-label': 'Link with a pairing code' },
    field('Phone number', phone),
    h('button', { type: 'submit' }, 'Get pairing code'),
    code
  )
  pairing.addEventListener('submit', async event => {
    event.preventDefault()
    const answer = await api<{ code: string }>('POST', `${path}/pairing-code`, { phoneNumber: phone.value })
    code.replaceChildren(
      answer.ok ? `Type ${answer.data.code} on the phone (Linked devices → Link with phone number)` : note(failureText(answer, 'A pairing code'), 'error')
    )
  })
  let stopped = false
  const tick = async () => {
    const state = await api<Session>('GET', `${path}/status`)
    if (stopped) return
    if (!state.ok) return status.replaceChildren(note(failureText(state, 'The session'), 'error'))
    const s = state.data
    if (s.status === 'connected') {
      image.hidden = true
      pairing.hidden = true
      status.textContent = `Connected as ${s.phoneNumber ? `+${s.phoneNumber}` : s.sessionId}`
      return
    }
    if (s.status === 'link_failed') {
      image.hidden = true
      status.textContent = `Linking failed: ${sessionProblem(s)}. Restart the session to try again.`
      return
    }
    if (s.status !== 'qr') {
      status.textContent = `Status: ${s.status}`
      return
    }
    const qr = await api<Qr>('GET', `${path}/qr`)
    if (stopped || !qr.ok) return
    if (image.src !== qr.data.qrImage) image.src = qr.data.qrImage
    image.hidden = false
    status.textContent = qr.data.refreshed ? 'WhatsApp refreshed the code: scan it again' : 'Scan with WhatsApp: Settings → Linked devices → Link a device'
  }
  main.replaceChildren(
    h('h1', {}, `Link ${sessionId}`),
    status,
    image,
    pairing,
    h('p', {}, h('a', { href: `#/sessions/${encodeURIComponent(sessionId)}` }, 'Session details'))
  )
  const stop = poll(tick, 1500)
  return () => {
    stopped = true
    stop()
  }
}
