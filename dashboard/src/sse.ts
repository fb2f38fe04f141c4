export type SseEvent = { id: string | undefined; event: string; data: string }

/**
 * Splits a text/event-stream into events as chunks arrive (the WHATWG rules the dashboard needs:
 * `id:`, `event:`, `data:` lines, comments ignored, a blank line ends an event).
 */
export const sseParser = (onEvent: (event: SseEvent) => void) => {
  let buffer = ''
  let id: string | undefined
  let event = ''
  let data: string[] = []
  return (chunk: string) => {
    buffer += chunk
    const lines = buffer.split(/\r\n|\r|\n/)
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') {
        if (data.length) onEvent({ id, event: event || 'message', data: data.join('\n') })
        event = ''
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const name = colon === -1 ? line : line.slice(0, colon)
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (name === 'data') data.push(value)
      else if (name === 'event') event = value
      else if (name === 'id') id = value
    }
  }
}
