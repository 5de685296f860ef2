/**
 * Which server a load-generator client connects to: with several URLs (several gateway
 * instances behind no balancer), clients are spread round-robin — client n on urls[n mod k] —
 * so each instance gets the same share, as a round-robin proxy would give it.
 */
export function urlForClient(n: number, url: string, urls?: readonly string[]): string {
  return urls && urls.length > 0 ? urls[n % urls.length]! : url;
}
