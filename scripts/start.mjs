// `npm start`: compile when the build is missing or older than a source file, then run the server (the bundle, dist/gatehouse.mjs) in this process.
import { ensureBuild } from './ensure-build.mjs'

ensureBuild()
await import('../dist/gatehouse.mjs')
