// `npm run lint` = `tsc --noEmit` + this: standard style (neostandard) with its TypeScript layer (typescript-eslint).
import neostandard, { resolveIgnoresFromGitignore } from 'neostandard'

export default [
  // .gitignore holds dist/, data/, .tap/ and coverage/; node_modules is ignored by ESLint itself.
  ...neostandard({ ts: true, noJsx: true, ignores: resolveIgnoresFromGitignore() }),
  {
    rules: {
      // `void promise` marks a promise deliberately not awaited (ts-standard allows it the same way).
      'no-void': ['error', { allowAsStatement: true }],
      // Loops here stop on a flag that another async task sets across an `await`, which this rule cannot see.
      'no-unmodified-loop-condition': 'off'
    }
  },
  {
    files: ['src/metrics/**'],
    // prom-client registers a metric when it is constructed: `new Gauge({ registers, collect })` is its idiom.
    rules: { 'no-new': 'off' }
  }
]
