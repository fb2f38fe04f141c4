/** The baseline of the Workers benchmark: a worker that answers at once. */
export default { fetch: () => new Response('ok') }
