import { tokenStore } from './api.ts'
import { h, note, when } from './dom.ts'
import { sseParser } from './sse.ts'

const MAX_SHOWN = 200

/**
 * The live event monitor: a streaming fetch of /api/events read chunk by chunk (EventSource cannot
 * send the Authorization header, and the token must not go in a URL).
 */
export const eventsScreen = (main: HTMLElement) => {
  const list = h('ol', { class: 'events', id: 'events', 'aria-live': 'polite', 'aria-label': 'Events' })
  const status = h('p', { role: 'status' }, 'Not connected.')
  const toggle = h('button', { type: 'button' }, 'Start')
  let controller: AbortController | undefined
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
  const start = async () => {
    controller = new AbortController()
    toggle.textContent = 'Stop'
    status.textContent = 'Connecting…'
    try {
      const response = await fetch('/api/events', {
        headers: { authorization: `Bearer ${tokenStore.get() ?? ''}`, accept: 'text/event-stream' },
        signal: controller.signal,
        credentials: 'omit'
      })
      if (!response.ok || !response.body) {
        status.replaceChildren(
          response.status === 404
            ? note('The live event stream is not available on this gateway yet.')
            : note(`The stream was refused: HTTP ${response.status}`, 'error')
        )
        return
      }
      status.textContent = 'Streaming.'
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      const feed = sseParser(event => show(event.event, event.data))
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        feed(value)
      }
      status.textContent = 'The stream ended.'
    } catch (error) {
      if (!controller?.signal.aborted) status.replaceChildren(note(`The stream broke: ${error instanceof Error ? error.message : String(error)}`, 'error'))
      else status.textContent = 'Stopped.'
    } finally {
      toggle.textContent = 'Start'
      controller = undefined
    }
  }
  toggle.addEventListener('click', () => (controller ? controller.abort() : void start()))
  main.replaceChildren(
    h('h1', {}, 'Live events'),
    h('div', { class: 'actions' }, toggle, h('button', { type: 'button', onclick: () => list.replaceChildren() }, 'Clear')),
    status,
    list
  )
  void start()
  return () => controller?.abort()
}
