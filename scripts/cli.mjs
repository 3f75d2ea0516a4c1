// `npm run cli -- …`: compile if needed, then run the CLI in this process.
import { ensureBuild } from './ensure-build.mjs'

ensureBuild()
await import('../dist/src/cli/main.js')
