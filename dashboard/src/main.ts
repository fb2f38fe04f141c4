import { api, tokenStore, whenUnauthorized } from './api.ts'
import { field, h, note } from './dom.ts'
import { eventsScreen } from './events-screen.ts'
import { funnelScreen } from './funnel-screen.ts'
import { linkScreen } from './link-screen.ts'
import { messagesScreen, otpsScreen } from './lists-screen.ts'
import { sessionDetailScreen } from './session-detail-screen.ts'
import { sessionsScreen } from './sessions-screen.ts'
import { webhooksScreen } from './webhooks-screen.ts'
import type { Health, Session } from './types.ts'

/** A screen draws itself into main and may return how to stop its timers and streams. */
type Screen = (main: HTMLElement, params: string[]) => unknown

const ROUTES: [RegExp, Screen][] = [
  [/^#\/sessions\/([^/]+)\/link$/, linkScreen],
  [/^#\/sessions\/([^/]+)$/, sessionDetailScreen],
  [/^#\/messages$/, messagesScreen],
  [/^#\/otps$/, otpsScreen],
  [/^#\/webhooks$/, webhooksScreen],
  [/^#\/events$/, eventsScreen],
  [/^#\/funnel$/, funnelScreen],
  [/^#\/sessions$/, sessionsScreen]
]
const NAV = [
  ['#/sessions', 'Sessions'],
  ['#/messages', 'Messages'],
  ['#/otps', 'OTPs'],
  ['#/webhooks', 'Webhooks'],
  ['#/events', 'Live events'],
  ['#/funnel', 'OTP funnel']
]

const root = document.getElementById('app')!
const banner = h(
  'div',
  { id: 'sandbox-banner', role: 'note', hidden: true },
  'SANDBOX MODE: sessions are linked to the built-in emulator; nothing reaches WhatsApp.'
)
let stopScreen: (() => void) | undefined

const signIn = (problem?: string) => {
  stopScreen?.()
  stopScreen = undefined
  const input = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' })
  const status = h('div', {}, problem ? note(problem, 'error') : '')
  const form = h(
    'form',
    { class: 'sign-in', 'aria-label': 'Sign in' },
    h('h1', {}, 'Operator dashboard'),
    h('p', {}, 'Paste an API token (minted with npm run token). It stays in this tab only and is sent in the Authorization header.'),
    field('Operator token', input),
    h('button', { type: 'submit' }, 'Sign in'),
    status
  )
  form.addEventListener('submit', async event => {
    event.preventDefault()
    tokenStore.set(input.value.trim())
    const check = await api<{ sessions: Session[] }>('GET', '/api/sessions')
    if (check.ok || check.status === 403) return route()
    tokenStore.clear()
    status.replaceChildren(note(`Sign-in failed: ${check.message}`, 'error'))
  })
  root.replaceChildren(banner, h('main', { id: 'main' }, form))
  input.focus()
}

const layout = () => {
  const main = h('main', { id: 'main', tabindex: -1 })
  const signOut = h('button', { type: 'button' }, 'Sign out')
  signOut.addEventListener('click', () => {
    tokenStore.clear()
    signIn()
  })
  const current = location.hash.split('/').slice(0, 2).join('/')
  root.replaceChildren(
    banner,
    h(
      'header',
      { class: 'top' },
      h(
        'nav',
        { 'aria-label': 'Screens' },
        ...NAV.map(([href, label]) =>
          h('a', { href, ...(current === href || (href === '#/sessions' && current === '#') ? { 'aria-current': 'page' } : {}) }, label)
        )
      ),
      signOut
    ),
    main
  )
  return main
}

const route = () => {
  if (!tokenStore.get()) return signIn()
  stopScreen?.()
  const hash = location.hash || '#/sessions'
  const [, screen] = ROUTES.find(([pattern]) => pattern.test(hash)) ?? [undefined, sessionsScreen]
  const params = (ROUTES.find(([pattern]) => pattern.test(hash))?.[0].exec(hash) ?? []).slice(1).map(decodeURIComponent)
  const main = layout()
  const stop = screen(main, params)
  stopScreen = typeof stop === 'function' ? (stop as () => void) : undefined
}

// The sign-in form reports a refused token itself; elsewhere a 401 means it expired or was revoked.
whenUnauthorized(() => {
  if (!root.querySelector('form.sign-in')) signIn('The token was refused (expired or revoked): sign in again.')
})
window.addEventListener('hashchange', route)
// Health needs no token; it says whether this gateway is the sandbox.
void api<Health>('GET', '/api/health').then(r => {
  banner.hidden = !(r.ok && r.data.mode === 'sandbox')
})
route()
