import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { scalarStandalonePath } from '../gateway/node-docs-assets.ts'
import { API_DOCS_SCRIPT_PATH } from '../gateway/routes/api-docs.ts'

/** wrangler.toml's `[assets] directory`: what Workers Static Assets serve beside the gateway. */
export const WORKER_ASSETS_DIR = resolve(import.meta.dirname, '..', 'dist', 'worker-assets')

/**
 * Lays out the static assets at the paths the gateway links to, from the installed packages; run by
 * wrangler before it bundles (`[build] command`), so a deploy always ships the installed version.
 */
export const writeWorkerAssets = (dir: string = WORKER_ASSETS_DIR) => {
  rmSync(dir, { recursive: true, force: true })
  const script = join(dir, API_DOCS_SCRIPT_PATH)
  mkdirSync(dirname(script), { recursive: true })
  copyFileSync(scalarStandalonePath(), script)
  return dir
}

if (import.meta.filename === process.argv[1]) console.log(`worker assets written to ${writeWorkerAssets()}`)
