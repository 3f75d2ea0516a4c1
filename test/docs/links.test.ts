import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import t from 'tap'
import { ROOT } from '../child-process.js'

// A link that works on the forge must work in a clone too: every relative
// link of README.md and docs/*.md names a file or folder inside the repository
// (SPEC.md once pointed outside it, at ../shared/).

const documents = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter(name => name.endsWith('.md')).map(name => `docs/${name}`)]

/** The targets of the Markdown links `[text](target)` outside fenced code blocks. */
export function linkTargets (markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '')
  return [...prose.matchAll(/\]\(([^()\s]+)(?:\s+"[^"]*")?\)/g)].map(m => m[1] as string)
}

const isRelative = (target: string) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#')

t.test('the link finder finds links, and skips code blocks', async t => {
  t.same(linkTargets('see [a](docs/a.md#x) and [b](https://example.com)\n```\n[c](nope.md)\n```\n[d](../e.md "title")'), ['docs/a.md#x', 'https://example.com', '../e.md'])
})

for (const document of documents) {
  t.test(`${document}: every relative link resolves to a file in the repository`, async t => {
    const targets = linkTargets(readFileSync(join(ROOT, document), 'utf8')).filter(isRelative)
    if (document === 'README.md') t.ok(targets.includes('docs/SPEC.md'), 'the README links to the contract in docs/')
    for (const target of targets) {
      const path = resolve(ROOT, dirname(document), decodeURIComponent(target.split('#')[0] ?? ''))
      const inside = !relative(ROOT, path).startsWith(`..${sep}`) && relative(ROOT, path) !== '..'
      t.ok(inside && existsSync(path), `${document}: ${target}`)
    }
  })
}
