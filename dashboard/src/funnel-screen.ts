import { api, failureText, query } from './api.ts'
import { h, note, svg } from './dom.ts'
import type { Stats } from './types.ts'

/** The funnel's bars in the one OTP vocabulary: every OTP sent, how many arrived, how each ended. */
export const funnelBars = (stats: Stats) => {
  const sent = Object.values(stats.otps).reduce((sum, n) => sum + n, 0)
  const d = stats.otpDelivery
  return [
    { label: 'sent', value: sent },
    { label: 'delivered', value: (d.delivered ?? 0) + (d.read ?? 0) },
    { label: 'approved', value: stats.otps.approved ?? 0 },
    { label: 'expired', value: stats.otps.expired ?? 0 },
    { label: 'max attempts', value: stats.otps.max_attempts_reached ?? 0 },
    { label: 'canceled', value: stats.otps.canceled ?? 0 },
    { label: 'failed', value: stats.otps.failed ?? 0 }
  ]
}

/** A horizontal bar chart in inline SVG; it scales to the screen's width through its viewBox. */
const chart = (bars: { label: string; value: number }[]) => {
  const max = Math.max(1, ...bars.map(b => b.value))
  const row = 28
  return svg(
    'svg',
    { viewBox: `0 0 320 ${bars.length * row}`, role: 'img', 'aria-label': bars.map(b => `${b.label} ${b.value}`).join(', '), class: 'chart' },
    ...bars.map((bar, i) =>
      svg(
        'g',
        {},
        svg('text', { x: 0, y: i * row + 18, class: 'chart-label' }, bar.label),
        svg('rect', { x: 100, y: i * row + 5, height: 18, width: Math.max(1, (bar.value / max) * 180), class: `chart-bar ${bar.label.replace(' ', '-')}` }),
        svg('text', { x: 100 + (bar.value / max) * 180 + 6, y: i * row + 18, class: 'chart-value' }, bar.value)
      )
    )
  )
}

/** The OTP funnel of the last 24 hours, from /api/stats. */
export const funnelScreen = (main: HTMLElement) => {
  const body = h('div', { id: 'funnel' })
  const session = h('input', { name: 'sessionId', autocomplete: 'off' })
  const load = async () => {
    const since = new Date(Date.now() - 86_400_000).toISOString()
    const stats = await api<Stats>('GET', `/api/stats${query({ sessionId: session.value, since })}`)
    if (!stats.ok) return body.replaceChildren(note(failureText(stats, 'The OTP funnel'), stats.missing ? 'info' : 'error'))
    body.replaceChildren(
      chart(funnelBars(stats.data)),
      h('p', { class: 'muted' }, `From ${new Date(stats.data.since).toLocaleString()} to ${new Date(stats.data.until).toLocaleString()}`)
    )
  }
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Funnel filters' },
    h('label', { class: 'field' }, h('span', {}, 'Session (empty: all)'), session),
    h('button', { type: 'submit' }, 'Show')
  )
  form.addEventListener('submit', event => {
    event.preventDefault()
    void load()
  })
  main.replaceChildren(h('h1', {}, 'OTP funnel, last 24 hours'), form, body)
  void load()
}
