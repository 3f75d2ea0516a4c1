import http from 'node:http'
import { unavailableProblems } from './expect.js'
import { formBody, request, type HttpResponse } from './http-client.js'
import { sleep } from '../child-process.js'

/**
 * Concurrent clients for fault tests: each keeps its own keep-alive
 * connection and, one request after another, goes through its steps (by
 * default: rotate its refresh token, read /users/me; `login` is a password
 * grant), so that the service always has work in flight when a fault is
 * injected. Every answer is recorded with the phase (set by the test) in
 * which it was sent.
 */

export type Step = 'refresh' | 'me' | 'login'

export interface Outcome {
  client: number
  kind: Step
  /** The phase when the request was sent (the test's label, e.g. `up 1`, `down 1`). */
  phase: string
  status?: number
  /** A transport error (reset, refused, hang-up): the service did not answer. */
  error?: string
  response?: HttpResponse
  /**
   * A refresh answered invalid_grant after an earlier rotation of the same
   * chain was in flight when the fault hit: that rotation may have committed
   * without its answer reaching us, so the old token is rightly refused.
   */
  afterUncertainRotation?: boolean
}

interface Tokens { access_token: string, refresh_token: string }

export class Traffic {
  /** The label recorded with every request sent from now on. */
  phase = 'up'
  readonly outcomes: Outcome[] = []
  private stopped = false
  private running: Promise<void[]> | undefined

  constructor (private readonly baseUrl: string, private readonly password: string, private readonly steps: Step[] = ['refresh', 'me'], private readonly timeoutMs = 10_000) {}

  /** Logs each user in (one client per entry) and starts their loops. */
  async start (usernames: string[]): Promise<void> {
    const clients = await Promise.all(usernames.map(async (username, client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      const res = await this.login(username, agent)
      if (res.status !== 200) throw new Error(`${username} could not log in: ${res.status} ${res.body}`)
      return { client, username, agent, tokens: res.json<Tokens>() }
    }))
    this.running = Promise.all(clients.map(async state => { await this.loop(state) }))
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.running
  }

  /** Answers of one phase. */
  of (phase: string): Outcome[] { return this.outcomes.filter(o => o.phase === phase) }

  /** Waits until every client has `count` outcomes in `phase` matching `accept`; false if that takes over `timeoutMs`. */
  async waitForEach (phase: string, count: number, accept: (o: Outcome) => boolean, clients: number, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const per = new Map<number, number>()
      for (const o of this.of(phase)) if (accept(o)) per.set(o.client, (per.get(o.client) ?? 0) + 1)
      if (per.size === clients && [...per.values()].every(n => n >= count)) return true
      await sleep(50)
    }
    return false
  }

  /**
   * Every answer that is neither a success nor the outage answer (503
   * temporarily_unavailable with Retry-After and the standard body), and
   * every request that got no answer at all.
   */
  unexpected (): string[] {
    const bad: string[] = []
    for (const o of this.outcomes) {
      const what = `client ${o.client} ${o.kind} (${o.phase})`
      if (o.error !== undefined) bad.push(`${what}: no answer: ${o.error}`)
      else if (o.status === 200) continue
      else if (o.afterUncertainRotation === true) continue
      else if (o.response !== undefined) {
        const problems = unavailableProblems(o.response)
        if (problems.length > 0) bad.push(`${what}: ${o.status} ${o.response.body} (${problems.join('; ')})`)
      }
    }
    return bad
  }

  private async login (username: string, agent: http.Agent): Promise<HttpResponse> {
    return await request(`${this.baseUrl}/token`, { method: 'POST', agent, timeoutMs: this.timeoutMs, ...formBody({ username, password: this.password }) })
  }

  private async loop (state: { client: number, username: string, agent: http.Agent, tokens: Tokens }): Promise<void> {
    // A rotation that may have committed unanswered: sent while the store could
    // still write (any phase but `down…`) and not answered 200.
    let unsettled = false
    try {
      for (let i = 0; !this.stopped; i++) {
        const kind = this.steps[i % this.steps.length] ?? 'me'
        const outcome: Outcome = { client: state.client, kind, phase: this.phase }
        this.outcomes.push(outcome)
        const storeMayWrite = !this.phase.startsWith('down')
        try {
          const res = kind === 'refresh'
            ? await request(`${this.baseUrl}/token`, { method: 'POST', agent: state.agent, timeoutMs: this.timeoutMs, ...formBody({ grant_type: 'refresh_token', refresh_token: state.tokens.refresh_token }) })
            : kind === 'login'
              ? await this.login(state.username, state.agent)
              : await request(`${this.baseUrl}/users/me`, { agent: state.agent, timeoutMs: this.timeoutMs, headers: { authorization: `Bearer ${state.tokens.access_token}` } })
          outcome.status = res.status
          outcome.response = res
          if (kind === 'login' && res.status === 200) {
            state.tokens = res.json<Tokens>()
            unsettled = false
          } else if (kind === 'refresh' && res.status === 200) {
            state.tokens = res.json<Tokens>()
            unsettled = false
          } else if (kind === 'refresh' && res.status === 400 && res.json().error === 'invalid_grant' && unsettled) {
            outcome.afterUncertainRotation = true
            unsettled = false
            const again = await this.login(state.username, state.agent)
            this.outcomes.push({ client: state.client, kind: 'login', phase: this.phase, status: again.status, response: again })
            if (again.status === 200) state.tokens = again.json<Tokens>()
          } else if (kind === 'refresh' && storeMayWrite) {
            unsettled = true
          }
        } catch (err) {
          outcome.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message
          if (kind === 'refresh' && storeMayWrite) unsettled = true
          await sleep(100) // a dead service refuses at once: do not spin
        }
      }
    } finally {
      state.agent.destroy()
    }
  }
}
