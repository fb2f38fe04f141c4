/**
 * A host as URLs and DNS spell it, compared without the brackets of an IPv6 literal, a trailing
 * dot or case: the one spelling the allow-lists and the address policy compare.
 */
export const normalizeHost = (host: string): string =>
  host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
