import { api, failureText, query } from './api.ts'
import { field, h, note, when } from './dom.ts'
import { pagedList } from './paged-list.ts'
import type { DeadLetter, Delivery } from './types.ts'

const deliveryRow = (d: Delivery) =>
  h(
    'article',
    { class: 'card', 'data-event': d.eventId },
    h('header', {}, h('span', {}, `${d.eventType} · ${d.sessionId}`), h('span', { class: `badge ${d.status}` }, d.status)),
    h(
      'p',
      { class: 'muted' },
      `${d.attempts} attempts · last ${when(d.lastAttemptAt)}${d.lastStatusCode ? ` (HTTP ${d.lastStatusCode})` : ''} · next ${when(d.nextAttemptAt)}`
    ),
    d.lastError && h('p', { class: 'note error' }, d.lastError),
    h('p', { class: 'muted' }, d.eventId)
  )

/** Dead letters (events that ran out of retries), each with a replay button. */
const deadLetters = () => {
  const body = h('div', { id: 'dead-letters' })
  const load = async () => {
    const result = await api<DeadLetter[]>('GET', '/api/webhooks/dead-letters')
    if (!result.ok) return body.replaceChildren(note(failureText(result, 'Dead letters'), 'error'))
    if (!result.data.length) return body.replaceChildren(note('No dead letters.'))
    body.replaceChildren(
      h(
        'ul',
        { class: 'cards', 'aria-label': 'Dead letters' },
        ...result.data.map(letter => {
          const replay = h('button', { type: 'button', 'aria-label': `Replay ${letter.eventId}` }, 'Replay')
          const outcome = h('span', { role: 'status' })
          replay.addEventListener('click', async () => {
            const replayed = await api('POST', `/api/webhooks/dead-letters/${encodeURIComponent(letter.eventId)}/replay`)
            outcome.textContent = replayed.ok ? 'Queued again' : failureText(replayed, 'The replay')
            if (replayed.ok) setTimeout(() => void load(), 1000)
          })
          return h(
            'li',
            {},
            h(
              'article',
              { class: 'card', 'data-event': letter.eventId },
              h('header', {}, h('span', {}, `${letter.type} · ${letter.sessionId}`), h('span', { class: 'badge failed' }, 'dead')),
              h('p', { class: 'muted' }, `${letter.attempts} attempts · dead ${when(letter.deadAt)} · ${letter.url}`),
              letter.lastError && h('p', { class: 'note error' }, letter.lastError),
              h('div', { class: 'actions' }, replay, outcome)
            )
          )
        })
      )
    )
  }
  void load()
  return { element: body, load }
}

/** The delivery log (each event's attempts and next retry) and the dead letters. */
export const webhooksScreen = (main: HTMLElement) => {
  const session = h('input', { name: 'sessionId', autocomplete: 'off' })
  const status = h('select', { name: 'status' }, ...['', 'pending', 'delivered', 'dead'].map(s => h('option', { value: s }, s || 'Any status')))
  const log = pagedList<Delivery>(
    'Webhook deliveries',
    cursor => `/api/webhooks/deliveries${query({ sessionId: session.value, status: status.value, cursor })}`,
    deliveryRow
  )
  const letters = deadLetters()
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Delivery filters' },
    field('Session', session),
    field('Status', status),
    h('button', { type: 'submit' }, 'Apply filters')
  )
  form.addEventListener('submit', event => {
    event.preventDefault()
    void log.load(true)
  })
  main.replaceChildren(
    h('h1', {}, 'Webhooks'),
    h('section', {}, h('h2', {}, 'Dead letters'), h('button', { type: 'button', onclick: () => void letters.load() }, 'Refresh dead letters'), letters.element),
    h('section', {}, h('h2', {}, 'Delivery log'), form, log.element)
  )
  void log.load(true)
}
