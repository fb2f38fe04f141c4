import { api, failureText, query } from './api.ts'
import { field, h, note, when } from './dom.ts'
import { pagedList } from './paged-list.ts'
import { poll } from './poll.ts'
import { messageRow, otpRow } from './rows.ts'
import type { Message, Otp, SendGovernor, Session, Webhook } from './types.ts'
import { WEBHOOK_EVENTS } from './types.ts'
import { sessionProblem } from './sessions-screen.ts'

/** An object's set fields as "key: value" pairs (the governor's pause and WhatsApp's cap). */
const fields = (value: unknown) =>
  value && typeof value === 'object'
    ? Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}: ${v}`)
        .join(' · ')
    : ''

/** The webhook endpoint: what is set, and a form that sets it, rotating the secret on request. */
const webhookSection = (path: string) => {
  const current = h('div')
  const url = h('input', { name: 'url', type: 'url', required: true, autocomplete: 'off' })
  const boxes = WEBHOOK_EVENTS.map(event => h('input', { type: 'checkbox', name: 'events', value: event }))
  const rotate = h('input', { type: 'checkbox', name: 'rotateSecret' })
  const secret = h('output', { id: 'webhook-secret' })
  const form = h(
    'form',
    { 'aria-label': 'Webhook endpoint' },
    field('Webhook URL', url),
    h('fieldset', {}, h('legend', {}, 'Events (none: all)'), ...boxes.map((box, i) => h('label', { class: 'check' }, box, WEBHOOK_EVENTS[i]))),
    h('label', { class: 'check' }, rotate, 'Rotate the signing secret'),
    h('button', { type: 'submit' }, 'Save webhook'),
    secret
  )
  const show = (hook: Webhook | undefined) => {
    current.replaceChildren(hook ? h('p', {}, `${hook.url} · events: ${hook.events?.join(', ') ?? 'all'}`) : note('No webhook set.'))
    url.value = hook?.url ?? ''
    for (const box of boxes) box.checked = Boolean(hook?.events?.includes(box.value))
  }
  form.addEventListener('submit', async event => {
    event.preventDefault()
    const events = boxes.filter(box => box.checked).map(box => box.value)
    const saved = await api<Webhook>('PUT', `${path}/webhook`, {
      url: url.value,
      ...(events.length ? { events } : {}),
      ...(rotate.checked ? { rotateSecret: true } : {})
    })
    if (!saved.ok) return secret.replaceChildren(note(failureText(saved, 'The webhook'), 'error'))
    show(saved.data)
    rotate.checked = false
    // The secret is shown once, as the API gives it once; it is not kept anywhere.
    secret.replaceChildren(saved.data.secret ? h('p', {}, 'New signing secret (shown once): ', h('code', {}, saved.data.secret)) : 'Saved.')
  })
  void api<Webhook>('GET', `${path}/webhook`).then(r =>
    r.ok ? show(r.data) : r.status === 404 && !r.missing ? show(undefined) : current.replaceChildren(note(failureText(r, 'The webhook'), 'error'))
  )
  return h('section', {}, h('h2', {}, 'Webhook'), current, form)
}

const governorSection = (path: string) => {
  const body = h('div')
  void api<SendGovernor>('GET', `${path}/governor`).then(r => {
    if (!r.ok) return body.replaceChildren(note(failureText(r, 'The governor'), r.missing ? 'info' : 'error'))
    const g = r.data
    body.replaceChildren(
      h(
        'dl',
        {},
        h('dt', {}, 'Enabled'),
        h('dd', {}, g.enabled ? 'yes' : 'no'),
        h('dt', {}, 'New chats today'),
        h('dd', {}, `${g.newChatsToday} of ${g.dailyCap}`),
        h('dt', {}, 'Next new chat'),
        h('dd', {}, when(g.nextNewChatAt)),
        h('dt', {}, '463 refusals in a row'),
        h('dd', {}, g.refusalsInRow),
        h('dt', {}, 'Paused'),
        h('dd', {}, fields(g.paused) || 'no'),
        h('dt', {}, "WhatsApp's cap"),
        h('dd', {}, fields(g.whatsappCap) || 'none known')
      )
    )
  })
  return h('section', {}, h('h2', {}, 'Send governor'), body)
}

/** One session: its state, recent messages, OTPs, webhook and governor. */
export const sessionDetailScreen = (main: HTMLElement, [sessionId = '']: string[]) => {
  const path = `/api/sessions/${encodeURIComponent(sessionId)}`
  const summary = h('div')
  const messages = pagedList<Message>('Messages', cursor => `/api/messages/${encodeURIComponent(sessionId)}${query({ cursor, limit: '20' })}`, messageRow)
  const otps = pagedList<Otp>('OTPs', cursor => `/api/otp${query({ sessionId, cursor, limit: '20' })}`, otpRow)
  const refresh = async () => {
    const state = await api<Session>('GET', `${path}/status`)
    if (!state.ok) return summary.replaceChildren(note(failureText(state, 'The session'), 'error'))
    const s = state.data
    summary.replaceChildren(
      h(
        'p',
        {},
        h('span', { class: `badge ${s.status}` }, s.status),
        ` ${s.phoneNumber ? `+${s.phoneNumber}` : ''} · ${s.deviceLabel} · host ${s.hostId ?? '–'}`
      ),
      sessionProblem(s) ? note(sessionProblem(s), 'error') : '',
      s.status !== 'connected' ? h('a', { class: 'button', href: `#/sessions/${encodeURIComponent(sessionId)}/link` }, 'Link this session') : ''
    )
  }
  const reload = () => Promise.all([refresh(), messages.load(true), otps.load(true)])
  main.replaceChildren(
    h('h1', {}, `Session ${sessionId}`),
    summary,
    h('button', { type: 'button', onclick: () => void reload() }, 'Refresh'),
    h('section', {}, h('h2', {}, 'Recent messages'), messages.element),
    h('section', { id: 'session-otps' }, h('h2', {}, 'OTPs'), otps.element),
    webhookSection(path),
    governorSection(path)
  )
  return poll(reload, 3000)
}
