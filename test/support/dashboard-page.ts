import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { until } from './until.ts'

/** Where the browser tests keep their screenshots (gitignored; CI keeps them as artifacts). */
export const DASHBOARD_SCREENSHOTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'dashboard')

/** Saves a full-page screenshot under test-artifacts/dashboard/<name>.png. */
export const screenshot = async (page: Page, name: string) => {
  mkdirSync(DASHBOARD_SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(DASHBOARD_SCREENSHOTS, `${name}.png`), fullPage: true })
}

type Violation = { directive: string; blocked: string }

/** Records every Content-Security-Policy violation the page reports (the dashboard should cause none). */
export const watchPolicy = async (page: Page) => {
  const violations: Violation[] = []
  await page.exposeFunction('reportViolation', (violation: Violation) => void violations.push(violation))
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', event => reportViolation({ directive: event.effectiveDirective, blocked: event.blockedURI }))`
  })
  return violations
}

/** Signs in as an operator would, by pasting the token and pressing the button. */
export const signIn = async (page: Page, baseUrl: string, token: string) => {
  await page.goto(`${baseUrl}/dashboard`)
  await page.getByLabel('Operator token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  // On a timeout, say what the page shows instead (a refusal, an error).
  await page
    .getByRole('heading', { name: 'Sessions' })
    .waitFor()
    .catch(async error => {
      throw new Error(`not signed in; the page says: ${await page.locator('body').textContent()}`, { cause: error })
    })
}

/** Presses Tab until the focused element has this accessible label or text; fails after `max` presses. */
export const tabTo = async (page: Page, name: string, max = 60) => {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    // The focused control's name: its aria-label, its <label>'s text, or its own text.
    const focused = await page.evaluate<string>(`(() => {
      const element = document.activeElement
      if (!element) return ''
      const label = element.getAttribute('aria-label') ?? element.labels?.[0]?.querySelector('span')?.textContent ?? ''
      return label || element.textContent?.trim() || ''
    })()`)
    if (focused === name) return
  }
  throw new Error(`${name} never took the focus in ${max} Tab presses`)
}

/** Waits until the element's text passes `check`, and returns it. */
export const textOf = (page: Page, selector: string, check: (text: string) => boolean, what: string) =>
  until(
    async () => {
      const text = await page
        .locator(selector)
        .first()
        .textContent()
        .then(
          text => text?.trim() ?? '',
          () => ''
        )
      return check(text) ? text : undefined
    },
    what,
    { timeoutMs: 30_000 }
  )
