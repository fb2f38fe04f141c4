import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'sqlite',
  schema: './session-host/db/schema.ts',
  out: './drizzle'
})
