/** The media message kinds, each one a route and the multipart field that carries its file. */
export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const
export type MediaKind = (typeof MEDIA_KINDS)[number]

/** The largest file a media route accepts (the seed's 50 MB). */
export const MAX_MEDIA_BYTES = 50 * 1024 * 1024

/** Room for the multipart framing and text fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024

/** A Content-Type's media type alone, lower-cased: `Image/PNG; charset=x` → `image/png`. */
export const mediaTypeOf = (contentType: string): string => contentType.split(';')[0]!.trim().toLowerCase()
