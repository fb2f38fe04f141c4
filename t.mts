import { benchRestart } from './test/bench/restart.ts'
await benchRestart()
