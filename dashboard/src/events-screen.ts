import { tokenStore } from './api.ts'
import { h, note, when } from './dom.ts'
import { sseParser } from './sse.ts'

const MAX_SHOWN = 200
/** How long to wait before reconnecting after the stream broke or ended. */
const RECONNECT_MS = 2_000

/**
 * The live event monitor: a streaming fetch of /api/events read chunk by chunk (EventSource cannot
 * send the Authorization header, and the token must not go in a URL). When the stream breaks or
 * the server ends it, it reconnects with the last id seen, so no event is missed in between.
 */
export const eventsScreen = (main: HTMLElement) => {
  const list = h('ol', { class: 'events', id: 'events', 'aria-live': 'polite', 'aria-label': 'Events' })
  const status = h('p', { role: 'status' }, 'Not connected.')
  const toggle = h('button', { type: 'button' }, 'Start')
  let controller: AbortController | undefined
  let lastEventId: string | undefined
  let reconnect: ReturnType<typeof setTimeout> | undefined
  const show = (type: string, raw: string) => {
    let parsed: { type?: string; timestamp?: string; data?: unknown } = {}
    try {
      parsed = JSON.parse(raw)
    } catch {}
    list.prepend(
      h(
        'li',
        { class: 'card' },
        h('header', {}, h('code', {}, parsed.type ?? type), h('span', { class: 'muted' }, when(parsed.timestamp))),
        h('pre', {}, JSON.stringify(parsed.data ?? raw, null, 1))
      )
    )
    while (list.children.length > MAX_SHOWN) list.lastElementChild?.remove()
  }
  const idle = (text: string) => {
    toggle.textContent = 'Start'
    controller = undefined
    if (text) status.textContent = text
  }
  /** Reads one connection to its end; true when it is worth connecting again. */
  const connect = async (signal: AbortSignal): Promise<boolean> => {
    const headers: Record<string, string> = { authorization: `Bearer ${tokenStore.get() ?? ''}`, accept: 'text/event-stream' }
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    const response = await fetch('/api/events', { headers, signal, credentials: 'omit' })
    if (!response.ok || !response.body) {
      status.replaceChildren(note(`The stream was refused: HTTP ${response.status}`, 'error'))
      // A refusal (an expired token, a missing scope) does not change by trying again.
      return response.status >= 500
    }
    status.textContent = 'Streaming.'
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    const feed = sseParser(event => {
      if (event.id !== undefined) lastEventId = event.id
      show(event.event, event.data)
    })
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      feed(value)
    }
    status.textContent = 'The stream ended; reconnecting…'
    return true
  }
  const start = async () => {
    const current = new AbortController()
    controller = current
    toggle.textContent = 'Stop'
    status.textContent = lastEventId === undefined ? 'Connecting…' : 'Reconnecting…'
    let again: boolean
    try {
      again = await connect(current.signal)
    } catch (error) {
      again = !current.signal.aborted
      if (again) status.replaceChildren(note(`The stream broke: ${error instanceof Error ? error.message : String(error)}; reconnecting…`, 'error'))
    }
    if (current.signal.aborted) return idle('Stopped.')
    if (!again) return idle('')
    reconnect = setTimeout(() => void start(), RECONNECT_MS)
  }
  const stop = () => {
    clearTimeout(reconnect)
    controller?.abort()
    idle('Stopped.')
  }
  toggle.addEventListener('click', () => (controller ? stop() : void start()))
  main.replaceChildren(
    h('h1', {}, 'Live events'),
    h('div', { class: 'actions' }, toggle, h('button', { type: 'button', onclick: () => list.replaceChildren() }, 'Clear')),
    status,
    list
  )
  void start()
  return stop
}
