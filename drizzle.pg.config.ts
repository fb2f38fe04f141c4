import { defineConfig } from 'drizzle-kit'

// PostgreSQL's migrations get their own folder and journal: ./drizzle stays SQLite's, so existing
// deployments keep applying the journal they already have.
export default defineConfig({
  dialect: 'postgresql',
  schema: './session-host/db/pg-schema.ts',
  out: './drizzle/postgres'
})
