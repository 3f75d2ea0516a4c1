/** Usernames: 3-64 letters, digits and `. _ - @ +`, compared and stored after NFKC and lower-casing. */
export const USERNAME_RULE = '3 to 64 letters, digits and . _ - @ +'
const USERNAME = /^[\p{L}\p{N}._@+-]{3,64}$/u

export function canonicalUsername (raw: string): string {
  return raw.normalize('NFKC').toLowerCase()
}

export function isValidUsername (canonical: string): boolean {
  return USERNAME.test(canonical)
}
