import { api, failureText } from './api.ts'
import { h, note } from './dom.ts'
import type { Page } from './types.ts'

/**
 * A list read page by page from a `{ items, nextCursor }` route: "Next page" follows the cursor,
 * a reset (new filters) drops what earlier requests answer late, and a route the gateway lacks
 * says so instead of failing.
 */
export const pagedList = <T>(what: string, path: (cursor: string | undefined) => string, render: (item: T) => HTMLElement) => {
  const list = h('ul', { class: 'cards', 'aria-label': what })
  const status = h('div')
  const more = h('button', { type: 'button', hidden: true }, 'Next page')
  let cursor: string | undefined
  // Each reset starts a new list: an answer to a request made for an earlier one is dropped (a
  // first load still out when the filters change would otherwise add its rows to the new list).
  let generation = 0
  const load = async (reset: boolean) => {
    if (reset) {
      generation++
      cursor = undefined
      list.replaceChildren()
    }
    const asked = generation
    const result = await api<Page<T>>('GET', path(cursor))
    if (asked !== generation) return
    if (!result.ok) {
      status.replaceChildren(note(failureText(result, what), result.missing ? 'info' : 'error'))
      more.hidden = true
      return
    }
    for (const item of result.data.items) list.append(h('li', {}, render(item)))
    status.replaceChildren(list.children.length ? '' : note(`No ${what.toLowerCase()}.`))
    cursor = result.data.nextCursor ?? undefined
    more.hidden = !cursor
  }
  more.addEventListener('click', () => void load(false))
  return { element: h('section', { class: 'paged' }, status, list, more), load }
}
