import { cpus, release, totalmem, type as osType } from 'node:os';
import type { InFlightFigures, LatencyFigures, LeakFigures, PacedFigures, PeakFigures, PerBot, ThroughputFigures } from './scenarios.js';
import { MB, type Percentiles } from './stats.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: totalmem() / 1024 ** 3,
    os: `${osType()} ${release()} ${process.arch}`,
    node: process.version,
  };
}

export interface Row {
  scenario: string;
  figure: string;
  condition: string;
  ours: string;
  floor: string;
  ratio: string;
  target: string;
  /** 'yes' / 'NO' against the target; empty where the row has no target. */
  met: string;
}

const ms = (v: number): string => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : 'n/a');
const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / MB).toFixed(0)} MB` : 'n/a');
const ratio = (ours: number, floor: number): string => (Number.isFinite(ours) && Number.isFinite(floor) && floor > 0 ? `${(ours / floor).toFixed(2)}x` : 'n/a');
const pair = (a: string, b: string): string => `${a} / ${b}`;
const met = (ok: boolean): string => (ok ? 'yes' : 'NO');

function latencyCells(ours: Percentiles, floor: Percentiles): Pick<Row, 'ours' | 'floor' | 'ratio'> {
  return {
    ours: pair(ms(ours.p50), ms(ours.p99)),
    floor: pair(ms(floor.p50), ms(floor.p99)),
    ratio: pair(ratio(ours.p50, floor.p50), ratio(ours.p99, floor.p99)),
  };
}

// The targets of the issue "To the limit" where it sets one, else those of the first bench issue.
const ACK_TARGET_RATIO = 1.2;
const AUTOCOMPLETE_TARGET_MS = 5;
const THROUGHPUT_TARGET_RATIO = 0.8;
const PEAK_TARGET_BYTES = 150 * MB;
/** At 100 users; lighter loads keep the first issue's 20 ms. */
const LAG_TARGET_MS = 10;
const LAG_TARGET_LIGHT_MS = 20;
const LAG_TARGET_USERS = 100;
/** Growth within this much of RSS is noise: allocator arenas and JIT code settle, they do not leak. */
const LEAK_NOISE_BYTES = 10 * MB;
/** Images delivered in every full window of the paced burst, as a share of Venice's limit. */
const PACED_TARGET_SHARE = 0.95;

export function latencyRows(idle: PerBot<LatencyFigures> | undefined, busy: PerBot<InFlightFigures> | undefined, jobsInFlight: number): Row[] {
  const rows: Row[] = [];
  const busyLabel = `${jobsInFlight} jobs in flight`;
  const add = (scenario: string, figure: string, pick: (f: LatencyFigures) => Percentiles, target: string, check: ((o: Percentiles, f: Percentiles) => boolean) | undefined): void => {
    if (idle) rows.push({ scenario, figure, condition: 'idle', ...latencyCells(pick(idle.ours), pick(idle.floor)), target: '', met: '' });
    if (busy) {
      const o = pick(busy.ours);
      const f = pick(busy.floor);
      rows.push({ scenario, figure, condition: busyLabel, ...latencyCells(o, f), target, met: check ? met(check(o, f)) : '' });
    }
  };
  add('1', 'ack p50 / p99 (ms)', (f) => f.ack, `p99 <= ${ACK_TARGET_RATIO}x floor`, (o, f) => o.p99 <= ACK_TARGET_RATIO * f.p99);
  add('2', 'autocomplete `model` p50 / p99 (ms)', (f) => f.model, `p99 < ${AUTOCOMPLETE_TARGET_MS} ms`, (o) => o.p99 < AUTOCOMPLETE_TARGET_MS);
  add('2', 'autocomplete `style` p50 / p99 (ms)', (f) => f.style, `p99 < ${AUTOCOMPLETE_TARGET_MS} ms`, (o) => o.p99 < AUTOCOMPLETE_TARGET_MS);
  return rows;
}

function loadLabel(f: ThroughputFigures): string {
  const delay = f.delayMs > 0 ? `, Venice ${f.delayMs / 1000} s` : '';
  return `${f.users} user${f.users === 1 ? '' : 's'}, ${f.spec.variants}x ${f.spec.format}${delay}`;
}

export function throughputRows(runs: readonly PerBot<ThroughputFigures>[]): Row[] {
  const rows: Row[] = runs.map((r) => ({
    scenario: '3',
    figure: 'throughput (jobs/s)',
    condition: loadLabel(r.ours),
    ours: r.ours.jobsPerSecond.toFixed(1),
    floor: r.floor.jobsPerSecond.toFixed(1),
    ratio: ratio(r.ours.jobsPerSecond, r.floor.jobsPerSecond),
    target: `>= ${THROUGHPUT_TARGET_RATIO}x floor`,
    met: met(r.ours.jobsPerSecond >= THROUGHPUT_TARGET_RATIO * r.floor.jobsPerSecond),
  }));
  for (const r of runs) {
    rows.push({
      scenario: '3',
      figure: 'ack p50 / p99 under that load (ms)',
      condition: loadLabel(r.ours),
      ...latencyCells(r.ours.ack, r.floor.ack),
      target: '',
      met: '',
    });
  }
  for (const r of runs) {
    const target = r.ours.users >= LAG_TARGET_USERS ? LAG_TARGET_MS : LAG_TARGET_LIGHT_MS;
    rows.push({
      scenario: '5',
      figure: 'event-loop lag p99 / max (ms)',
      condition: loadLabel(r.ours),
      ours: pair(ms(r.ours.lagP99), ms(r.ours.lagMax)),
      floor: pair(ms(r.floor.lagP99), ms(r.floor.lagMax)),
      ratio: ratio(r.ours.lagP99, r.floor.lagP99),
      target: `p99 < ${target} ms`,
      met: met(r.ours.lagP99 < target),
    });
  }
  for (const r of runs) {
    rows.push({
      scenario: '3',
      figure: 'requests to Discord per job',
      condition: loadLabel(r.ours),
      ours: r.ours.discordRequestsPerJob.toFixed(1),
      floor: r.floor.discordRequestsPerJob.toFixed(1),
      ratio: ratio(r.ours.discordRequestsPerJob, r.floor.discordRequestsPerJob),
      target: '',
      met: '',
    });
  }
  for (const r of runs) {
    rows.push({
      scenario: '3',
      figure: 'bot CPU (% of one core)',
      condition: loadLabel(r.ours),
      ours: r.ours.cpuPercent.toFixed(0),
      floor: r.floor.cpuPercent.toFixed(0),
      ratio: ratio(r.ours.cpuPercent / r.ours.jobsPerSecond, r.floor.cpuPercent / r.floor.jobsPerSecond) + ' per job',
      target: '',
      met: '',
    });
  }
  for (const r of runs) {
    rows.push({
      scenario: '5',
      figure: 'main thread waiting for a CPU (ms per s)',
      condition: loadLabel(r.ours),
      ours: Number.isFinite(r.ours.cpuWaitPerSecond) ? r.ours.cpuWaitPerSecond.toFixed(0) : 'n/a',
      floor: Number.isFinite(r.floor.cpuWaitPerSecond) ? r.floor.cpuWaitPerSecond.toFixed(0) : 'n/a',
      ratio: '',
      target: '',
      met: '',
    });
  }
  return rows;
}

export function memoryRows(peak: PerBot<PeakFigures> | undefined, leak: PerBot<LeakFigures> | undefined): Row[] {
  const rows: Row[] = [];
  if (peak) {
    rows.push({
      scenario: '4',
      figure: 'peak RSS',
      condition: `${peak.ours.jobs} jobs of ${peak.ours.spec.variants}x ${peak.ours.spec.format} at once`,
      ours: mb(peak.ours.peakRss),
      floor: mb(peak.floor.peakRss),
      ratio: ratio(peak.ours.peakRss, peak.floor.peakRss),
      target: `< ${PEAK_TARGET_BYTES / MB} MB`,
      met: met(peak.ours.peakRss < PEAK_TARGET_BYTES),
    });
    rows.push({
      scenario: '4',
      figure: 'RSS before / after that burst (after GC)',
      condition: '',
      ours: pair(mb(peak.ours.rssBefore), mb(peak.ours.rssAfter)),
      floor: pair(mb(peak.floor.rssBefore), mb(peak.floor.rssAfter)),
      ratio: '',
      target: '',
      met: '',
    });
  }
  if (leak) {
    const first = (f: LeakFigures) => f.checkpoints[0];
    const last = (f: LeakFigures) => f.checkpoints[f.checkpoints.length - 1];
    const o0 = first(leak.ours);
    const o1 = last(leak.ours);
    const f0 = first(leak.floor);
    const f1 = last(leak.floor);
    if (o0 && o1 && f0 && f1) {
      const jobs = (n: number): string => n.toLocaleString('en');
      const spec = `${leak.ours.spec.variants}x ${leak.ours.spec.format}`;
      const span = (a: { jobs: number }, b: { jobs: number }): string => `${jobs(a.jobs)} -> ${jobs(b.jobs)} jobs`;
      const condition = `after ${o0.jobs === f0.jobs ? jobs(o0.jobs) : '(see cells)'} and after N jobs of ${spec}, after GC`;
      const cell = (a: LeakFigures['checkpoints'][number], b: LeakFigures['checkpoints'][number], pick: (c: typeof a) => number): string =>
        `${mb(pick(a))} / ${mb(pick(b))} (N = ${jobs(b.jobs)})`;
      rows.push({ scenario: '4', figure: 'RSS', condition, ours: cell(o0, o1, (c) => c.rss), floor: cell(f0, f1, (c) => c.rss), ratio: '', target: '', met: '' });
      rows.push({ scenario: '4', figure: 'JS heap used', condition, ours: cell(o0, o1, (c) => c.heapUsed), floor: cell(f0, f1, (c) => c.heapUsed), ratio: '', target: '', met: '' });
      const growth = o1.rss - o0.rss;
      const noise = LEAK_NOISE_BYTES;
      const signed = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / MB).toFixed(1)} MB`;
      // One checkpoint (the time budget ran out after the first) compares a reading with itself.
      const growthCell = (a: typeof o0, b: typeof o0): string =>
        b.jobs > a.jobs ? pair(signed(b.rss - a.rss), signed(b.heapUsed - a.heapUsed)) : 'n/a (one checkpoint)';
      rows.push({
        scenario: '4',
        figure: 'RSS growth / heap growth',
        condition: `ours ${span(o0, o1)}, floor ${span(f0, f1)}`,
        ours: growthCell(o0, o1),
        floor: growthCell(f0, f1),
        ratio: '',
        target: `RSS growth <= ${signed(noise)} (noise)`,
        met: o1.jobs > o0.jobs ? met(growth <= noise) : 'n/a',
      });
    }
  }
  return rows;
}

/** The ratio of the emptiest and the mean window to the limit, with the number of windows. */
export function windowShares(counts: readonly number[], limit: number): { min: number; mean: number; n: number } {
  if (counts.length === 0 || limit <= 0) return { min: Number.NaN, mean: Number.NaN, n: counts.length };
  return { min: Math.min(...counts) / limit, mean: counts.reduce((a, b) => a + b, 0) / counts.length / limit, n: counts.length };
}

/** Short: the time scale, delays and lockout go in a note under the table. */
function pacedLabel(f: PacedFigures): string {
  return `${f.jobs} users x ${f.spec.variants}x ${f.spec.format}, ${f.limit} a window`;
}

export function pacedRows(runs: readonly PerBot<PacedFigures>[]): Row[] {
  const rows: Row[] = [];
  const shares = (f: PacedFigures): string => {
    const w = windowShares(f.delivered, f.limit);
    return w.n === 0 ? 'n/a (0 full windows)' : `${w.min.toFixed(2)} / ${w.mean.toFixed(2)} (${w.n} windows)`;
  };
  for (const r of runs) {
    const label = pacedLabel(r.ours);
    const share = windowShares(r.ours.delivered, r.ours.limit);
    rows.push({
      scenario: '6',
      figure: 'images to Discord per window / limit, min / mean',
      condition: label,
      ours: shares(r.ours),
      floor: shares(r.floor),
      ratio: '',
      target: `>= ${PACED_TARGET_SHARE} in every window`,
      met: met(share.n > 0 && share.min >= PACED_TARGET_SHARE),
    });
    const windows = (f: PacedFigures): string => `${(f.elapsedMs / 1000).toFixed(1)} s = ${(f.elapsedMs / f.windowWallMs).toFixed(1)} windows${f.cut ? ' (cut)' : ''}`;
    const ideal = (f: PacedFigures): string => (f.imagesAsked / f.limit).toFixed(1);
    rows.push({
      scenario: '6',
      figure: 'images delivered / asked; burst took',
      condition: `${label} (at the limit: ${ideal(r.ours)} windows)`,
      ours: `${r.ours.imagesDelivered} / ${r.ours.imagesAsked}; ${windows(r.ours)}`,
      floor: `${r.floor.imagesDelivered} / ${r.floor.imagesAsked}; ${windows(r.floor)}`,
      ratio: '',
      target: '',
      met: '',
    });
    const refusals = (f: PacedFigures): string => `${f.rateLimited} / ${f.blocked} (${f.lockouts})`;
    rows.push({
      scenario: '6',
      figure: "Venice's 429s: over the limit / locked out (lockouts)",
      condition: label,
      ours: refusals(r.ours),
      floor: refusals(r.floor),
      ratio: '',
      target: '0',
      met: met(r.ours.rateLimited + r.ours.blocked === 0),
    });
    const failures = (f: PacedFigures): string => `${f.jobsFailed} / ${f.jobsShort} / ${f.unfinished}`;
    rows.push({
      scenario: '6',
      figure: 'jobs failed / short of images / unfinished',
      condition: label,
      ours: failures(r.ours),
      floor: failures(r.floor),
      ratio: '',
      target: '0 / 0 / 0',
      met: met(r.ours.jobsFailed + r.ours.jobsShort + r.ours.unfinished === 0),
    });
    rows.push({
      scenario: '6',
      figure: 'event-loop lag p99 / max (ms)',
      condition: label,
      ours: pair(ms(r.ours.lagP99), ms(r.ours.lagMax)),
      floor: pair(ms(r.floor.lagP99), ms(r.floor.lagMax)),
      ratio: ratio(r.ours.lagP99, r.floor.lagP99),
      target: `p99 < ${LAG_TARGET_MS} ms`,
      met: met(r.ours.lagP99 < LAG_TARGET_MS),
    });
    rows.push({
      scenario: '6',
      figure: "ack p50 / p99 of the burst's defers (ms)",
      condition: label,
      ...latencyCells(r.ours.ack, r.floor.ack),
      target: '',
      met: '',
    });
  }
  return rows;
}

/** A GitHub-flavoured Markdown table, padded so it also reads well in a terminal. */
export function formatTable(rows: readonly Row[]): string {
  const head: Row = { scenario: '#', figure: 'figure', condition: 'condition', ours: 'ours', floor: 'floor', ratio: 'ours / floor', target: 'target', met: 'met' };
  const keys = Object.keys(head) as Array<keyof Row>;
  const all = [head, ...rows];
  const width = (k: keyof Row): number => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row): string => `| ${keys.map((k) => r[k].padEnd(width(k))).join(' | ')} |`;
  const rule = `| ${keys.map((k) => '-'.repeat(width(k))).join(' | ')} |`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}
