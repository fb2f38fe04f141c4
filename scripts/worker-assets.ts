import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { scalarStandalonePath } from '../gateway/node/docs-assets.ts'
import { API_DOCS_SCRIPT_PATH } from '../gateway/routes/api-docs.ts'

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
console.log(`worker assets written to ${dir}`)
