import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, relative } from 'node:path'
import { parseCircular, parseDependencyTree } from 'dpdm'
import type { DependencyTree } from 'dpdm'

/**
 * The rules the folder tree promises, checked on every source file (`npm run lint`):
 * - no import cycle between files, type-only imports included;
 * - no cycle between folders of product code (session-host/outbox → session-host/messages → session-host/outbox is one);
 * - shared/ stays runtime-free: no node: module, no Node-only library, no Drizzle;
 * - a route module never imports another route module;
 * - no source file over 400 lines.
 */
const MAX_LINES = 400
const NODE_ONLY = /^(node:|pino|pino-pretty$|drizzle-orm|better-sqlite3|@hono\/node-server|undici$|ws$|@whiskeysockets\/)/
const ROUTE_FOLDERS = ['gateway/routes/', 'session-host/routes/']

const root = process.cwd()
/** dpdm answers relative or absolute paths depending on how it was asked. */
const rel = (file: string): string => (isAbsolute(file) ? relative(root, file) : file)
const isProjectFile = (file: string | null): file is string => file !== null && !file.includes('node_modules') && !rel(file).startsWith('..') && /\.[cm]?[jt]s$/.test(file)

export type Finding = { rule: string; detail: string }

/** Every finding for these entry files (their imports are followed). */
export const checkArchitecture = async (files: string[]): Promise<Finding[]> => {
  const tree: DependencyTree = await parseDependencyTree(files, { context: root, transform: false, skipDynamicImports: false })
  const findings: Finding[] = []
  const local = Object.keys(tree).filter(isProjectFile)

  for (const cycle of parseCircular(tree)) findings.push({ rule: 'file cycle', detail: cycle.map(rel).join(' → ') })

  const folders = new Map<string, Set<string>>()
  for (const file of local) {
    const from = dirname(rel(file))
    // Tests sit beside their code and reach across folders on purpose; only product code counts here.
    const isTest = rel(file).endsWith('.test.ts') || rel(file).startsWith('test/')
    for (const dependency of tree[file] ?? []) {
      if (!isProjectFile(dependency.id)) continue
      const to = dirname(rel(dependency.id))
      if (to !== from && !isTest) folders.set(from, (folders.get(from) ?? new Set()).add(to))
      if (ROUTE_FOLDERS.some(folder => rel(file).startsWith(folder) && rel(dependency.id as string).startsWith(folder)) && !rel(file).endsWith('.test.ts')) {
        findings.push({ rule: 'route imports route', detail: `${rel(file)} → ${rel(dependency.id)}` })
      }
    }
    if (rel(file).startsWith('shared/') && !rel(file).endsWith('.test.ts')) {
      for (const dependency of tree[file] ?? []) {
        if (NODE_ONLY.test(dependency.request)) findings.push({ rule: 'shared/ imports a runtime', detail: `${rel(file)} → ${dependency.request}` })
      }
    }
    const lines = readFileSync(file, 'utf8').split('\n').length - 1
    if (lines > MAX_LINES) findings.push({ rule: `file over ${MAX_LINES} lines`, detail: `${rel(file)} (${lines})` })
  }
  for (const group of folderCycles(folders)) findings.push({ rule: 'folders import each other', detail: group.join(', ') })
  return findings
}

/** Groups of folders that import each other (the strongly connected parts of the folder graph). */
const folderCycles = (graph: Map<string, Set<string>>): string[][] => {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const groups: string[][] = []
  const visit = (folder: string): void => {
    index.set(folder, index.size)
    low.set(folder, index.get(folder)!)
    stack.push(folder)
    for (const next of graph.get(folder) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(folder, Math.min(low.get(folder)!, low.get(next)!))
      } else if (stack.includes(next)) low.set(folder, Math.min(low.get(folder)!, index.get(next)!))
    }
    if (low.get(folder) !== index.get(folder)) return
    const group: string[] = []
    let member: string
    do {
      member = stack.pop()!
      group.push(member)
    } while (member !== folder)
    if (group.length > 1) groups.push(group.sort())
  }
  for (const folder of [...graph.keys()].sort()) if (!index.has(folder)) visit(folder)
  return groups
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2)
  const findings = await checkArchitecture(files)
  for (const { rule, detail } of findings) console.log(`${rule}: ${detail}`)
  console.log(`${files.length} entry files, ${findings.length} findings`)
  process.exitCode = findings.length > 0 ? 1 : 0
}
