/**
 * Where a `.cpuprofile` (node --cpu-prof) spent its time: self and total time per function,
 * idle excluded, largest first — the table docs/performance*.md quote.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top=30] [--under=functionName]
 *
 * `--under` keeps only the samples whose stack holds that function (e.g. `streamIntoRun`).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  /** µs */
  self: number;
  /** µs, the function and what it called */
  total: number;
}

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
};

/** Per-function self and total time of the busy samples (under `under` when given), and their sum. */
export function summarizeProfile(profile: CpuProfile, under?: string): { busyUs: number; lines: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const lines = new Map<string, ProfileLine>();
  const line = (name: string) => lines.get(name) ?? lines.set(name, { name, self: 0, total: 0 }).get(name)!;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const leaf = byId.get(id)!;
    if (leaf.callFrame.functionName === '(idle)') return;
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(label(byId.get(at)!));
    if (under !== undefined && !stack.some((name) => name.startsWith(`${under} `) || name === under)) return;
    const dt = profile.timeDeltas[i] ?? 0;
    busyUs += dt;
    line(stack[0]!).self += dt;
    for (const name of new Set(stack)) line(name).total += dt;
  });
  return { busyUs, lines: [...lines.values()] };
}

function format({ busyUs, lines }: ReturnType<typeof summarizeProfile>, top: number): string {
  const row = (us: number, name: string) => `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${name}`;
  const by = (key: 'self' | 'total') => [...lines].sort((a, b) => b[key] - a[key]).slice(0, top).map((l) => row(l[key], l.name));
  return [`busy ${(busyUs / 1000).toFixed(1)} ms`, '— self', ...by('self'), '— total', ...by('total')].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: bench/profile-summary.ts <file.cpuprofile> [--top=30] [--under=functionName]');
  const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(format(summarizeProfile(profile, option('under')), Number(option('top') ?? 30)));
}
