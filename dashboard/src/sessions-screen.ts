import { api, failureText } from './api.ts'
import { field, h, note, when } from './dom.ts'
import { poll } from './poll.ts'
import type { Session, Stats } from './types.ts'

/** What WhatsApp or the link said last, in a line. */
export const sessionProblem = (session: Session) =>
  [session.reason, session.serverError ? `${session.serverError.code} ${session.serverError.text}` : null].filter(Boolean).join(': ')

const restrictionText = (session: Session) =>
  session.restriction ? `${session.restriction.kind}${session.restriction.until ? ` until ${when(session.restriction.until)}` : ''}` : 'none'

/** The session's message counts of the last 24 hours, when the gateway has /api/stats. */
const countsLine = async (sessionId: string, into: HTMLElement) => {
  const since = new Date(Date.now() - 86_400_000).toISOString()
  const stats = await api<Stats>('GET', `/api/stats?sessionId=${encodeURIComponent(sessionId)}&since=${encodeURIComponent(since)}`)
  if (!stats.ok) return
  const m = stats.data.messages
  into.textContent = `24 h: ${m.sent ?? 0} sent · ${m.delivered ?? 0} delivered · ${m.read ?? 0} read · ${m.failed ?? 0} failed`
}

const card = (session: Session, selected: Set<string>, refresh: () => void) => {
  const counts = h('p', { class: 'muted' })
  void countsLine(session.sessionId, counts)
  // The selection outlives the list's refreshes, so a bulk restart restarts what the operator ticked.
  const check = h('input', { type: 'checkbox', 'aria-label': `Select ${session.sessionId}`, checked: selected.has(session.sessionId) })
  check.addEventListener('change', () => (check.checked ? selected.add(session.sessionId) : selected.delete(session.sessionId)))
  const act = (label: string, run: () => Promise<unknown>) =>
    h('button', { type: 'button', 'aria-label': `${label} ${session.sessionId}`, onclick: () => void run().then(refresh) }, label)
  const problem = sessionProblem(session)
  return h(
    'article',
    { class: 'card', 'data-session': session.sessionId },
    h(
      'header',
      {},
      check,
      h('a', { href: `#/sessions/${encodeURIComponent(session.sessionId)}` }, session.sessionId),
      h('span', { class: `badge ${session.status}` }, session.status)
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'Number'),
      h('dd', {}, session.phoneNumber ? `+${session.phoneNumber}` : '–'),
      h('dt', {}, 'Device'),
      h('dd', {}, session.deviceLabel),
      h('dt', {}, 'Restriction'),
      h('dd', {}, restrictionText(session)),
      h('dt', {}, 'Last error'),
      h('dd', {}, problem || '–'),
      h('dt', {}, 'Host'),
      h('dd', {}, session.hostId ?? '–'),
      h('dt', {}, 'Last seen'),
      h('dd', {}, when(session.lastSeen))
    ),
    counts,
    h(
      'div',
      { class: 'actions' },
      session.status !== 'connected' && h('a', { class: 'button', href: `#/sessions/${encodeURIComponent(session.sessionId)}/link` }, 'Link'),
      act('Restart', () => api('PUT', `/api/sessions/${encodeURIComponent(session.sessionId)}/restart`)),
      act('Log out and delete', async () => {
        if (confirm(`Log out and delete ${session.sessionId}? Its auth state is removed.`))
          await api('DELETE', `/api/sessions/${encodeURIComponent(session.sessionId)}`)
      })
    )
  )
}

/** Every session the token may see, with create and bulk restart. */
export const sessionsScreen = (main: HTMLElement) => {
  const selected = new Set<string>()
  const list = h('div', { class: 'cards', id: 'sessions' })
  const refresh = async () => {
    const result = await api<{ sessions: Session[]; total: number }>('GET', '/api/sessions')
    if (!result.ok) return list.replaceChildren(note(failureText(result, 'The session list'), 'error'))
    for (const id of [...selected]) if (!result.data.sessions.some(s => s.sessionId === id)) selected.delete(id)
    list.replaceChildren(...(result.data.sessions.length ? result.data.sessions.map(s => card(s, selected, () => void refresh())) : [note('No sessions yet.')]))
  }
  const idInput = h('input', { name: 'sessionId', pattern: '[A-Za-z0-9_-]{1,64}', autocomplete: 'off' })
  const labelInput = h('input', { name: 'deviceLabel', autocomplete: 'off' })
  const createStatus = h('div')
  const create = h(
    'form',
    { class: 'inline', 'aria-label': 'Create a session' },
    field('Session id (optional)', idInput),
    field('Device label (optional)', labelInput),
    h('button', { type: 'submit' }, 'Create session'),
    createStatus
  )
  create.addEventListener('submit', async event => {
    event.preventDefault()
    const body = { ...(idInput.value ? { sessionId: idInput.value } : {}), ...(labelInput.value ? { deviceLabel: labelInput.value } : {}) }
    const created = await api<Session>('POST', '/api/sessions/create', body)
    if (!created.ok) return createStatus.replaceChildren(note(failureText(created, 'The new session'), 'error'))
    location.hash = `#/sessions/${encodeURIComponent(created.data.sessionId)}/link`
  })
  const bulk = h('button', { type: 'button' }, 'Restart selected')
  bulk.addEventListener('click', async () => {
    await Promise.all([...selected].map(id => api('PUT', `/api/sessions/${encodeURIComponent(id)}/restart`)))
    selected.clear()
    await refresh()
  })
  main.replaceChildren(
    h('h1', {}, 'Sessions'),
    create,
    h('div', { class: 'actions' }, bulk, h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh')),
    list
  )
  return poll(refresh, 10_000)
}
