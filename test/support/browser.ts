import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Debian's Chromium, headless and offline (Playwright gives it a fresh profile and removes it).
 * Every request that is not to 127.0.0.1 is aborted and counted, so a page that reaches for a
 * CDN is noticed.
 */
export const startBrowser = async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run bash scripts/install-test-deps.sh (Debian's chromium package)`)
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  const outside: string[] = []
  const newPage = async (): Promise<Page> => {
    const page = await browser.newPage()
    await page.route('**/*', route => {
      const url = new URL(route.request().url())
      if (url.protocol === 'data:' || url.hostname === '127.0.0.1') return route.continue()
      outside.push(url.href)
      return route.abort()
    })
    return page
  }
  return {
    newPage,
    /** Requests a page tried to make anywhere but 127.0.0.1. */
    outside,
    stop: () => browser.close()
  }
}
