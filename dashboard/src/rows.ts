import { h, when } from './dom.ts'
import type { Message, Otp } from './types.ts'

/** A message with each status step and its time. */
export const messageRow = (m: Message) =>
  h(
    'article',
    { class: 'card', 'data-message': m.messageId },
    h('header', {}, h('span', {}, `${m.kind} to ${m.to}`), h('span', { class: `badge ${m.status}` }, m.status)),
    h(
      'p',
      { class: 'muted' },
      `queued ${when(m.timestamp)} · sent ${when(m.sentAt)} · delivered ${when(m.deliveredAt)} · read ${when(m.readAt)}${m.failedAt ? ` · failed ${when(m.failedAt)}` : ''}`
    ),
    m.error && h('p', { class: 'note error' }, m.error),
    h('p', { class: 'muted' }, `session ${m.sessionId} · ${m.messageId}`)
  )

/** An OTP with its outcome and its message's delivery. */
export const otpRow = (o: Otp) =>
  h(
    'article',
    { class: 'card', 'data-otp': o.otpId },
    h('header', {}, h('span', {}, `OTP to ${o.to}`), h('span', { class: `badge ${o.status}`, 'data-field': 'status' }, o.status)),
    h('p', { 'data-field': 'delivery' }, `delivery: ${o.delivery?.status ?? 'unknown'}`),
    h('p', { class: 'muted' }, `created ${when(o.createdAt)} · expires ${when(o.expiresAt)} · ${o.attemptsLeft} attempts left`),
    h('p', { class: 'muted' }, `session ${o.sessionId} · ${o.otpId}`)
  )
