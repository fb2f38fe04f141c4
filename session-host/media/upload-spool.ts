import { randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { appError } from '../../shared/errors.ts'

export type UploadSpool = {
  /** This process's own folder; nothing else writes there. */
  readonly dir: string
  /** Runs `use` with a fresh file path in the folder and removes the file afterwards, whatever happened. */
  withFile<T>(use: (path: string) => Promise<T>): Promise<T>
  /** The files in the folder now (empty between requests). */
  files(): string[]
  /** Removes the folder and everything in it. */
  close(): void
}

/**
 * Where uploads and fetched files wait between arriving and being sent: a folder of this process
 * under `root`, removed on close and, as a last resort, when the process exits.
 */
export const createUploadSpool = (root: string): UploadSpool => {
  mkdirSync(root, { recursive: true })
  const dir = mkdtempSync(join(root, `wa-media-${process.pid}-`))
  const removeAll = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', removeAll)
  return {
    dir,
    async withFile(use) {
      const path = join(dir, randomUUID())
      try {
        return await use(path)
      } finally {
        await rm(path, { force: true })
      }
    },
    files: () => {
      try {
        return readdirSync(dir)
      } catch {
        return []
      }
    },
    close: () => {
      process.off('exit', removeAll)
      removeAll()
    }
  }
}

export const fileTooLarge = (maxBytes: number) => appError('PAYLOAD_TOO_LARGE', `The file exceeds ${maxBytes} bytes`, { maxBytes })

/** Streams `source` into `path`, failing with 413 as soon as more than `maxBytes` arrive. */
export const writeCapped = async (source: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, path: string, maxBytes: number): Promise<number> => {
  let bytes = 0
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      if (bytes > maxBytes) done(fileTooLarge(maxBytes))
      else done(null, chunk)
    }
  })
  await pipeline(source, cap, createWriteStream(path))
  return bytes
}
