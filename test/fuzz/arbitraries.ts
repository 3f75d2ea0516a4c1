import fc from 'fast-check'

/** Printable ASCII (and tab): what an HTTP client can put in a header value. */
export const headerText = (maxLength = 200) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map(c => String.fromCharCode(c)), fc.constant('\t')), maxLength })

/** Any Unicode text, lone surrogates and control characters included. */
export const anyText = (maxLength = 80) => fc.string({ unit: 'binary', maxLength })

/** Strings that tend to reach edge cases: empty, blanks, NUL, long, NFKC-sensitive, look-alikes of real values. */
export const trickyText = fc.oneof(
  { weight: 4, arbitrary: anyText() },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', '\r\n', '%00', 'null', '[]', '{}', 'ﬀ', 'ＡＬＩＣＥ', 'ß', 'İ', '\uFEFF', '..', '../') },
  { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 80 }) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map(n => 'x'.repeat(n)) }
)

/** A query string: well-formed pairs, or raw text with broken percent-encodings. */
export const queryString = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.string({ maxLength: 12 }), anyText(40)), { maxLength: 4 })
    .map(pairs => '?' + new URLSearchParams(pairs.map(([k, v]) => [k, v.replace(/[\uD800-\uDFFF]/g, '')])).toString()),
  fc.constantFrom('?%', '?%zz', '?a=%E0%A4%A', '?&&&=', '?a[b]=1&a[c]=2', '?__proto__=x&constructor[prototype]=y', '?' + 'a=1&'.repeat(500))
)

/** Extra request headers a client (or attacker) might send. */
export const extraHeaders = fc.dictionary(
  fc.constantFrom('user-agent', 'x-forwarded-for', 'cookie', 'accept', 'accept-encoding', 'accept-language', 'origin',
    'x-requested-with', 'content-encoding', 'x-request-id', 'forwarded', 'sec-fetch-site', 'if-none-match'),
  headerText(),
  { maxKeys: 4 }
)

/** Content types: mostly the right one, in several spellings, sometimes wrong or absent. */
export const contentType = (right: string) => fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>(right) },
  { weight: 1, arbitrary: fc.constantFrom<string | undefined>(`${right}; charset=utf-8`, right.toUpperCase(), `${right};charset=latin1`, `${right}; charset=x-unknown`) },
  { weight: 2, arbitrary: fc.constantFrom<string | undefined>(undefined, 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/xml', '*/*', '') },
  { weight: 1, arbitrary: headerText(60).map<string | undefined>(s => s) }
)

/** Removes lone surrogates: a header or URL cannot carry them (the client would throw, not the server). */
export const wellFormed = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
