import { api, query } from './api.ts'
import { field, h } from './dom.ts'
import { pagedList } from './paged-list.ts'
import { messageRow, otpRow } from './rows.ts'
import type { Message, Otp, Session } from './types.ts'

const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed']
const OTP_STATUSES = ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled', 'failed']

const select = (name: string, options: string[], all: string) =>
  h('select', { name }, h('option', { value: '' }, all), ...options.map(o => h('option', { value: o }, o)))

/** A local date-time input's value as ISO 8601, or nothing. */
const iso = (input: HTMLInputElement) => (input.value ? new Date(input.value).toISOString() : undefined)

/** Messages or OTPs across the token's sessions, filtered by session, status, recipient and time. */
const filteredList = <T>(main: HTMLElement, kind: 'messages' | 'otps') => {
  const session = select('sessionId', [], 'All sessions')
  const status = select('status', kind === 'messages' ? MESSAGE_STATUSES : OTP_STATUSES, 'Any status')
  const to = h('input', { name: 'to', inputmode: 'tel', autocomplete: 'off' })
  const since = h('input', { name: 'since', type: 'datetime-local' })
  const until = h('input', { name: 'until', type: 'datetime-local' })
  const filters = () => ({ status: status.value, to: to.value, since: iso(since), until: iso(until) })
  const path = (cursor: string | undefined) => {
    const q = { ...filters(), cursor, limit: '25' }
    if (kind === 'otps') return `/api/otp${query({ sessionId: session.value, ...q })}`
    return session.value ? `/api/messages/${encodeURIComponent(session.value)}${query(q)}` : `/api/messages${query(q)}`
  }
  const list = pagedList<T>(kind === 'messages' ? 'Messages' : 'OTPs', path, (kind === 'messages' ? messageRow : otpRow) as (item: T) => HTMLElement)
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filters' },
    field('Session', session),
    field('Status', status),
    field('Recipient', to),
    field('Since', since),
    kind === 'messages' ? field('Until', until) : '',
    h('button', { type: 'submit' }, 'Apply filters')
  )
  form.addEventListener('submit', event => {
    event.preventDefault()
    void list.load(true)
  })
  main.replaceChildren(h('h1', {}, kind === 'messages' ? 'Messages' : 'OTPs'), form, list.element)
  void api<{ sessions: Session[] }>('GET', '/api/sessions').then(r => {
    if (r.ok) session.append(...r.data.sessions.map(s => h('option', { value: s.sessionId }, s.sessionId)))
  })
  void list.load(true)
}

export const messagesScreen = (main: HTMLElement) => filteredList<Message>(main, 'messages')
export const otpsScreen = (main: HTMLElement) => filteredList<Otp>(main, 'otps')
