import { createHash } from 'node:crypto';

/**
 * Key names. Everything of one session shares a hash tag (`{…}`), so each script touches one
 * slot (Redis Cluster). The session id itself never appears in a key: a hash of it does.
 *
 *   <prefix>ans:{s}:lock        answer id in flight, PX lease (renewed while generating)
 *   <prefix>ans:{s}:cur         the session's latest answer id (finds one whose lease ran out)
 *   <prefix>ans:{s}:req:<fp>    answer id of a request (request_id + question), EX retention
 *   <prefix>ans:{s}:<id>:m      hash: status, owner, openid, rid, cancel
 *   <prefix>ans:{s}:<id>:s      stream: d (delta i,t) · p (progress q) · r (retraction m) · e (result r)
 *   <prefix>ans:{s}:<id>:w      set while a client follows the answer on another instance
 */
export class AnswerKeys {
  readonly cancelChannel: string;

  constructor(private readonly prefix: string) {
    this.cancelChannel = `${prefix}ans:cancel`;
  }

  session(ownerKey: string): SessionKeys {
    const base = `${this.prefix}ans:{${createHash('sha256').update(ownerKey).digest('base64url').slice(0, 22)}}`;
    return {
      base,
      lock: `${base}:lock`,
      cur: `${base}:cur`,
      request: (fingerprint) => `${base}:req:${fingerprint}`,
      answer: (id) => ({ meta: `${base}:${id}:m`, stream: `${base}:${id}:s`, watch: `${base}:${id}:w` }),
    };
  }
}

export interface SessionKeys {
  /** every key of the session starts with it (`<base>:<answer id>:m` is an answer's hash) */
  base: string;
  lock: string;
  cur: string;
  request(fingerprint: string): string;
  answer(id: string): { meta: string; stream: string; watch: string };
}
