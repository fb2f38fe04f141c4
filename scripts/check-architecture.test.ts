import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkArchitecture } from './check-architecture.ts'

/** A throwaway project with the given files, checked from its own root. */
const check = async (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), 'architecture-'))
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true })
      writeFileSync(join(root, path), text)
    }
    return (await checkArchitecture(Object.keys(files), root)).map(({ rule, detail }) => `${rule}: ${detail}`)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

describe('the architecture check (npm run lint)', () => {
  it('passes a tree whose rooms import downwards only', async () => {
    assert.deepEqual(
      await check({
        'gateway/app.ts': "import { a } from './routes/a.ts'\nexport const app = a\n",
        'gateway/routes/a.ts': "import { id } from '../../shared/ids.ts'\nexport const a = id\n",
        'shared/ids.ts': 'export const id = 1\n'
      }),
      []
    )
  })

  it('finds a cycle of type-only imports, two folders that import each other, and a route importing a route', async () => {
    const findings = await check({
      'gateway/app.ts': "import type { Env } from './routes/env.ts'\nimport './routes/a.ts'\nexport type App = Env\n",
      'gateway/routes/env.ts': "import type { App } from '../app.ts'\nexport type Env = { app?: App }\n",
      'gateway/routes/a.ts': "import type { Env } from './env.ts'\nexport const a = (env: Env) => env\n"
    })
    assert.ok(
      findings.some(line => line.startsWith('file cycle: gateway/app.ts → gateway/routes/env.ts')),
      findings.join('\n')
    )
    assert.ok(findings.includes('folders import each other: gateway, gateway/routes'), findings.join('\n'))
    assert.ok(findings.includes('route imports route: gateway/routes/a.ts → gateway/routes/env.ts'), findings.join('\n'))
  })

  it('finds a runtime in shared/ and a file over 400 lines', async () => {
    const findings = await check({
      'shared/hash.ts': "import { createHash } from 'node:crypto'\nexport const hash = createHash\n",
      'session-host/long.ts': 'export const x = 1\n'.repeat(401)
    })
    assert.deepEqual(findings.sort(), ['file over 400 lines: session-host/long.ts (401)', 'shared/ imports a runtime: shared/hash.ts → node:crypto'])
  })
})
