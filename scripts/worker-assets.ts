import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { buildDashboard } from '../dashboard/build.ts'
import { scalarStandalonePath } from '../gateway/node/docs-assets.ts'
import { API_DOCS_SCRIPT_PATH } from '../gateway/routes/api-docs.ts'
import { PHONE_METADATA_ASSET_PATH } from '../gateway/worker-phone-numbers.ts'

/**
 * wrangler's `[build] command`, run before it bundles: lays out the static assets (wrangler.toml's
 * `[assets] directory`) at the paths the gateway links to, from the installed packages, so a
 * deploy always ships the installed version.
 */
const dir = resolve(import.meta.dirname, '..', 'dist', 'worker-assets')
rmSync(dir, { recursive: true, force: true })
const script = join(dir, API_DOCS_SCRIPT_PATH)
mkdirSync(dirname(script), { recursive: true })
copyFileSync(scalarStandalonePath(), script)
// The dashboard's bundle, at the paths its page links to (/dashboard/assets/…); the page itself
// comes from the worker, which sets its Content-Security-Policy.
const dashboard = join(dir, 'dashboard', 'assets')
mkdirSync(dashboard, { recursive: true })
for (const [name, file] of await buildDashboard()) writeFileSync(join(dashboard, name), file.body)
// libphonenumber's full metadata, which the worker reads on its first request instead of carrying it.
const phoneMetadata = join(dir, PHONE_METADATA_ASSET_PATH)
mkdirSync(dirname(phoneMetadata), { recursive: true })
copyFileSync(createRequire(import.meta.url).resolve('libphonenumber-js/metadata.max.json'), phoneMetadata)
console.log(`worker assets written to ${dir}`)
