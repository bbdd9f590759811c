import { readFile } from 'node:fs/promises';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a self-time summary reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  /** Self time in milliseconds. */
  ms: number;
  share: number;
}

/** A stretch of samples with no idle one between them: the event loop was blocked that long. */
export interface BusyStretch {
  ms: number;
  /** Where in the profile it began, ms from the start. */
  atMs: number;
  /** The functions on top of the stack most often during the stretch, with their share of it. */
  top: ProfileLine[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy (not idle, not GC) time in milliseconds. */
  busyMs: number;
  gcMs: number;
  byFunction: ProfileLine[];
  /** Self time grouped by where the code lives: our src/, commands/, a package, Node's internals. */
  byOrigin: ProfileLine[];
  /** The longest stretches without a pause: what blocks the event loop. */
  longest: BusyStretch[];
}

function isCpuProfile(value: unknown): value is CpuProfile {
  const v = value as Partial<CpuProfile> | null;
  return typeof v === 'object' && v !== null && Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

/** `file:///x/node_modules/@discordjs/rest/dist/index.js` -> `@discordjs/rest`; our own code by folder. */
function originOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/(src|commands|bench|test)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]?.split('/')[0] ?? ''}`;
  return url;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/((?:src|commands|bench|test)\/.*)$/.exec(url);
  return own?.[1] ?? url.replace(/^file:\/\//, '');
}

function top(map: Map<string, number>, busyMs: number, limit: number): ProfileLine[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busyMs > 0 ? us / 1000 / busyMs : 0 }));
}

/** Self time per function and per origin, largest first. */
export async function summariseCpuProfile(path: string, limit = 15): Promise<ProfileSummary> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${path} is not a V8 CPU profile`);
  const byId = new Map(parsed.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const origin = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let total = 0;
  const stretches: Array<{ startUs: number; us: number; names: Map<string, number> }> = [];
  let open: { startUs: number; us: number; names: Map<string, number> } | undefined;
  parsed.samples.forEach((id, i) => {
    const us = parsed.timeDeltas[i] ?? 0;
    total += us;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') {
      idle += us;
      if (open) stretches.push(open);
      open = undefined;
      return;
    }
    if (frame.functionName === '(garbage collector)') gc += us;
    const name = frame.url ? `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : frame.functionName;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const where = originOf(frame.url, frame.functionName);
    origin.set(where, (origin.get(where) ?? 0) + us);
    open ??= { startUs: total - us, us: 0, names: new Map() };
    open.us += us;
    open.names.set(name, (open.names.get(name) ?? 0) + us);
  });
  if (open) stretches.push(open);
  const busyMs = (total - idle) / 1000;
  const longest = stretches
    .sort((a, b) => b.us - a.us)
    .slice(0, 3)
    .map((s) => ({ ms: s.us / 1000, atMs: s.startUs / 1000, top: top(s.names, s.us / 1000, 3) }));
  return { totalMs: total / 1000, busyMs, gcMs: gc / 1000, byFunction: top(fn, busyMs, limit), byOrigin: top(origin, busyMs, limit), longest };
}

export function formatProfile(title: string, summary: ProfileSummary): string {
  const pct = (share: number): string => `${(share * 100).toFixed(1)}%`.padStart(6);
  const lines = [
    `${title}: ${summary.busyMs.toFixed(0)} ms busy of ${summary.totalMs.toFixed(0)} ms (GC ${summary.gcMs.toFixed(0)} ms)`,
    '  self time by origin:',
    ...summary.byOrigin.map((l) => `    ${pct(l.share)} ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`),
    '  self time by function:',
    ...summary.byFunction.map((l) => `    ${pct(l.share)} ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`),
    '  longest stretches without a pause (event loop blocked), with what ran most in each:',
    ...summary.longest.map((b) => `    ${b.ms.toFixed(0).padStart(6)} ms at ${(b.atMs / 1000).toFixed(1)} s: ${b.top.map((l) => `${l.name} ${pct(l.share).trim()}`).join('; ')}`),
  ];
  return lines.join('\n');
}
