import { api, failureText } from './api.ts'
import { h, note } from './dom.ts'
import type { Page } from './types.ts'

/**
 * A list read page by page from a `{ items, nextCursor }` route: "Next page" follows the cursor,
 * and a route the gateway lacks says so instead of failing.
 */
export const pagedList = <T>(what: string, path: (cursor: string | undefined) => string, render: (item: T) => HTMLElement) => {
  const list = h('ul', { class: 'cards', 'aria-label': what })
  const status = h('div')
  const more = h('button', { type: 'button', hidden: true }, 'Next page')
  let cursor: string | undefined
  const load = async (reset: boolean) => {
    if (reset) {
      cursor = undefined
      list.replaceChildren()
    }
    const result = await api<Page<T>>('GET', path(cursor))
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
