import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

/** The dashboard's files by name, as the gateway serves them under /dashboard/assets/. */
export type DashboardBundle = Map<string, { body: Uint8Array; contentType: string }>

const SOURCE = join(import.meta.dirname, 'src')

/**
 * Bundles dashboard/src (plain DOM and TypeScript, no framework: nothing to install, nothing to
 * keep up with) into one ES module and copies its style sheet. esbuild is the project's bundler
 * already; it compiles in about 50 ms, so the Node gateway builds at first request and serves from
 * memory, and scripts/worker-assets.ts writes the same files for Workers Static Assets.
 */
export const buildDashboard = async (): Promise<DashboardBundle> => {
  const result = await build({
    entryPoints: [join(SOURCE, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outfile: 'app.js',
    tsconfig: join(SOURCE, 'tsconfig.json'),
    logLevel: 'silent'
  })
  const script = result.outputFiles.find(file => file.path.endsWith('app.js'))
  if (!script) throw new Error('esbuild wrote no app.js')
  return new Map([
    ['app.js', { body: script.contents, contentType: 'text/javascript; charset=utf-8' }],
    ['app.css', { body: await readFile(join(SOURCE, 'style.css')), contentType: 'text/css; charset=utf-8' }]
  ])
}
