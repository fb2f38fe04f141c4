/** What an element may hold: nodes, and text (never parsed as HTML, so API data cannot inject markup). */
export type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>

const fill = <E extends Element>(element: E, attrs: Attrs, children: Child[]): E => {
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (value === true) element.setAttribute(name, '')
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(child instanceof Node ? child : String(child))
  }
  return element
}

/** An HTML element with attributes (`on…` ones become listeners) and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] =>
  fill(document.createElement(tag), attrs, children)

/** An SVG element (the funnel chart is drawn inline: no chart library, no inline styles). */
export const svg = (tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement =>
  fill(document.createElementNS('http://www.w3.org/2000/svg', tag), attrs, children)

/** A labelled form control: the label names it for screen readers and for the tests. */
export const field = (label: string, control: HTMLElement) => h('label', { class: 'field' }, h('span', {}, label), control)

/** An ISO time as the operator's locale reads it, or a dash. */
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '–')

/** A note that a screen or a part of it cannot be shown, and why. */
export const note = (text: string, kind: 'info' | 'error' = 'info') => h('p', { class: `note ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text)
