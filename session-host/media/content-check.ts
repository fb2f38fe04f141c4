import { fileTypeFromFile, supportedMimeTypes } from 'file-type'
import { appError } from '../../shared/errors.ts'
import { mediaTypeOf } from '../../shared/media.ts'
import type { MediaKind } from '../../shared/media.ts'

/** What WhatsApp plays inline for each kind, as file-type names it. Documents take any file. */
export const ACCEPTED_TYPES: Record<Exclude<MediaKind, 'document'>, readonly string[]> = {
  image: ['image/jpeg', 'image/png', 'image/webp'],
  video: ['video/mp4', 'video/3gpp', 'video/quicktime'],
  audio: ['audio/ogg; codecs=opus', 'audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/x-m4a', 'audio/aac', 'audio/amr']
}

const sniffable: ReadonlySet<string> = new Set([...supportedMimeTypes].map(mediaTypeOf))

/**
 * Reads the file's signature and decides the mimetype to send, or refuses with 415: a kind's
 * content must be one it accepts, and a declared mimetype must agree with the content.
 */
export const checkContent = async (path: string, kind: MediaKind, declared?: string): Promise<string> => {
  const detected = (await fileTypeFromFile(path))?.mime
  const refuse = (why: string) =>
    appError('UNSUPPORTED_MEDIA_TYPE', why, {
      kind,
      detected: detected ?? null,
      ...(declared ? { declared } : {}),
      ...(kind === 'document' ? {} : { accepted: ACCEPTED_TYPES[kind] })
    })
  if (declared && detected && mediaTypeOf(declared) !== mediaTypeOf(detected)) throw refuse(`The file is ${detected}, not ${declared}`)
  if (kind === 'document') {
    // A declared type whose signature we know but cannot find is a mislabelled file.
    if (declared && !detected && sniffable.has(mediaTypeOf(declared))) throw refuse(`The file content is not ${declared}`)
    return declared ?? detected ?? 'application/octet-stream'
  }
  if (!detected || !ACCEPTED_TYPES[kind].includes(detected))
    throw refuse(`A ${kind} message takes ${ACCEPTED_TYPES[kind].join(', ')}; this file is ${detected ?? 'of an unknown type'}`)
  return detected
}
