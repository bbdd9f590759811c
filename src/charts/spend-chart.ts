import { en } from '../i18n/index.js';
import { loadSharp } from '../images/sharp.js';

export interface DailySpend {
  /** 'YYYY-MM-DD', a UTC day. */
  day: string;
  usd: number;
  images: number;
}

export interface ChartOptions {
  /** Pixels; default 800. */
  width?: number;
  /** Pixels; default 400. */
  height?: number;
  /** The caller's words, in the reader's language; default English. */
  title?: string;
  /** For Intl number and date formatting; default 'en-US'. Pass the language the words are in. */
  locale?: string;
  /** The line under the title, from the period's total (already formatted in `locale`); default English. */
  totalLine?: (total: ChartTotal) => string;
}

export interface ChartTotal {
  /** The spend, formatted as money in the chart's locale. */
  usd: string;
  /** The image count, formatted in the chart's locale. */
  images: string;
  /** The same count as a number, to choose a plural form. */
  imageCount: number;
}

const DAY_MS = 86_400_000;
const WINDOW_DAYS = 30;
const MIN_SIDE = 160;
const MAX_SIDE = 4096;
const defaultTotalLine = (total: ChartTotal): string => en.t('usage.chart.total', { count: total.imageCount, usd: total.usd, images: total.images });

const COLOURS = {
  background: '#ffffff',
  text: '#111827',
  muted: '#4b5563',
  grid: '#e5e7eb',
  axis: '#6b7280',
  bar: '#4338ca',
} as const;

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Fills the 30 UTC days ending on `now`'s day, oldest first, from sparse rows. Rows for the same
 * day are added together (the store keeps one row per user per day); rows outside the window
 * are ignored.
 */
export function lastThirtyDays(rows: ReadonlyArray<{ day: string; usd: number; images: number }>, now: number): DailySpend[] {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite epoch millisecond count, got ${now}`);
  const today = new Date(now);
  const todayStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const days: DailySpend[] = [];
  const byDay = new Map<string, DailySpend>();
  for (let back = WINDOW_DAYS - 1; back >= 0; back--) {
    const entry: DailySpend = { day: utcDay(todayStart - back * DAY_MS), usd: 0, images: 0 };
    days.push(entry);
    byDay.set(entry.day, entry);
  }
  for (const row of rows) {
    const entry = byDay.get(row.day);
    if (!entry) continue;
    entry.usd += row.usd;
    entry.images += row.images;
  }
  return days;
}

/**
 * The chart as SVG text: a bar per day, USD gridlines, a date under about every fifth day, the
 * title and the period's total. Pure, so it can be tested as data. `days` are normally the
 * output of {@link lastThirtyDays}.
 */
export function spendChartSvg(days: readonly DailySpend[], options: ChartOptions = {}): string {
  const width = side('width', options.width ?? 800);
  const height = side('height', options.height ?? 400);
  const locale = usableLocale(options.locale);
  const scale = Math.min(width / 800, height / 400);
  const titleSize = Math.max(11, Math.round(18 * scale));
  const textSize = Math.max(9, Math.round(13 * scale));
  const labelSize = Math.max(8, Math.round(11 * scale));
  const pad = Math.round(16 * scale);

  const values = days.map((d) => ({ day: d.day, usd: spendable(d.usd), images: spendable(d.images) }));
  const totalUsd = values.reduce((sum, d) => sum + d.usd, 0);
  const totalImages = values.reduce((sum, d) => sum + d.images, 0);
  const axis = niceAxis(Math.max(0, ...values.map((d) => d.usd)));
  const tickFormat = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    ...(Number.isInteger(axis.step) ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : { maximumFractionDigits: Math.max(2, fractionDigits(axis.step)) }),
  });
  const totalFormat = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'USD',
    // A sub-cent total would otherwise read as $0.00 next to bars that are visibly there.
    ...(totalUsd > 0 && totalUsd < 0.01 ? { maximumFractionDigits: 4 } : {}),
  });
  const countFormat = new Intl.NumberFormat(locale);
  const dateFormat = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });

  const ticks = Array.from({ length: axis.divisions + 1 }, (_, i) => {
    const value = round(i * axis.step, 10);
    return { value, label: tickFormat.format(value) };
  });
  const tickLabelWidth = Math.max(...ticks.map((t) => textWidth(t.label, labelSize)));

  const titleY = pad + titleSize;
  const totalY = titleY + Math.round(textSize * 1.5);
  const plotTop = totalY + Math.round(textSize * 1.8);
  const plotBottom = height - pad - Math.round(labelSize * 1.6);
  const plotLeft = pad + Math.ceil(tickLabelWidth) + Math.round(8 * scale);
  const plotRight = width - pad;
  const plotHeight = Math.max(1, plotBottom - plotTop);
  const plotWidth = Math.max(1, plotRight - plotLeft);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="${COLOURS.background}"/>`,
  );

  const title = fitText(cleanText(options.title ?? en.t('usage.chart.defaultTitle')), width - 2 * pad, titleSize * 1.08);
  parts.push(`<text x="${pad}" y="${titleY}" font-size="${titleSize}" font-weight="bold" fill="${COLOURS.text}">${escapeXml(title)}</text>`);
  const totalText = (options.totalLine ?? defaultTotalLine)({ usd: totalFormat.format(totalUsd), images: countFormat.format(totalImages), imageCount: totalImages });
  const total = fitText(cleanText(totalText), width - 2 * pad, textSize);
  parts.push(`<text x="${pad}" y="${totalY}" font-size="${textSize}" fill="${COLOURS.muted}">${escapeXml(total)}</text>`);

  for (const tick of ticks) {
    const y = Math.round(plotBottom - (tick.value / axis.max) * plotHeight);
    // Half a pixel off the grid keeps a one-pixel line sharp instead of two grey rows.
    if (tick.value > 0) parts.push(`<line x1="${plotLeft}" y1="${y + 0.5}" x2="${plotRight}" y2="${y + 0.5}" stroke="${COLOURS.grid}" stroke-width="1"/>`);
    parts.push(
      `<text x="${plotLeft - Math.round(6 * scale)}" y="${num(y + labelSize * 0.35)}" font-size="${labelSize}" text-anchor="end" fill="${COLOURS.muted}">${escapeXml(tick.label)}</text>`,
    );
  }

  const slot = plotWidth / Math.max(1, values.length);
  const barWidth = Math.max(1, slot * 0.7);
  values.forEach((d, i) => {
    const barHeight = (d.usd / axis.max) * plotHeight;
    const x = num(plotLeft + i * slot + (slot - barWidth) / 2);
    parts.push(
      `<rect data-day="${escapeXml(d.day)}" data-usd="${d.usd}" x="${x}" y="${num(plotBottom - barHeight)}" width="${num(barWidth)}" height="${num(barHeight)}" fill="${COLOURS.bar}"/>`,
    );
    // Counted from the newest day so that today always has its date.
    if ((values.length - 1 - i) % 5 !== 0) return;
    const label = cleanText(shortDate(d.day, dateFormat));
    const half = textWidth(label, labelSize) / 2;
    const centre = Math.min(width - pad - half, Math.max(pad + half, plotLeft + (i + 0.5) * slot));
    parts.push(
      `<text x="${num(centre)}" y="${height - pad}" font-size="${labelSize}" text-anchor="middle" fill="${COLOURS.muted}">${escapeXml(label)}</text>`,
    );
  });

  parts.push(`<line x1="${plotLeft}" y1="${plotBottom + 0.5}" x2="${plotRight}" y2="${plotBottom + 0.5}" stroke="${COLOURS.axis}" stroke-width="1"/>`, '</svg>');
  return parts.join('\n');
}

/**
 * The chart rendered to a PNG of exactly `width` x `height`. sharp (librsvg) rasterises on its
 * own threads, so the event loop stays free. Text needs a font that fontconfig resolves for
 * `sans-serif` (DejaVu Sans from `fonts-dejavu-core` on Debian); where there is none, every
 * character is drawn as an empty box and nothing fails.
 */
export async function renderSpendChart(days: readonly DailySpend[], options: ChartOptions = {}): Promise<Buffer> {
  const svg = spendChartSvg(days, options);
  const sharp = await loadSharp();
  return sharp(Buffer.from(svg), { density: 72 }).png().toBuffer();
}

function side(name: string, value: number): number {
  if (!Number.isInteger(value) || value < MIN_SIDE || value > MAX_SIDE) {
    throw new RangeError(`${name} must be a whole number of pixels from ${MIN_SIDE} to ${MAX_SIDE}, got ${value}`);
  }
  return value;
}

function usableLocale(locale: string | undefined): string {
  if (locale === undefined) return 'en-US';
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

/** Negative or non-finite amounts draw as nothing rather than breaking the scale. */
const spendable = (value: number): number => (Number.isFinite(value) && value > 0 ? value : 0);

/** An axis top that is a round number, split into four or five steps of 1, 2, 2.5 or 5 x 10^n. */
function niceAxis(maxUsd: number): { max: number; step: number; divisions: number } {
  if (maxUsd <= 0) return { max: 1, step: 0.25, divisions: 4 };
  // Below a cent the labels would need too many digits to be read.
  const top = Math.max(maxUsd, 0.01);
  const raw = top / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const factor = [1, 2, 2.5, 5, 10].find((f) => f * magnitude >= raw * (1 - 1e-9)) ?? 10;
  const step = round(factor * magnitude, 12);
  const divisions = Math.max(1, Math.ceil(top / step - 1e-9));
  return { max: round(step * divisions, 12), step, divisions };
}

function fractionDigits(value: number): number {
  for (let digits = 0; digits < 6; digits++) {
    const scaled = value * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return digits;
  }
  return 6;
}

const round = (value: number, significant: number): number => Number(value.toPrecision(significant));

/** Coordinates with at most two decimals, never in exponent notation. */
const num = (value: number): string => String(Math.round(value * 100) / 100);

function shortDate(day: string, format: Intl.DateTimeFormat): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(ms) ? day : format.format(ms);
}

/** Wide scripts take about a full em; Latin, Greek and Cyrillic about 0.6 em in DejaVu Sans. */
function textWidth(text: string, fontSize: number): number {
  let ems = 0;
  for (const char of text) ems += (char.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.6;
  return ems * fontSize;
}

/** Cut to fit on one line, by code point so a surrogate pair is never split. */
function fitText(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = Array.from(text);
  while (chars.length > 0 && textWidth(`${chars.join('')}…`, fontSize) > maxWidth) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}

/**
 * Drops what XML 1.0 cannot hold at all (control characters, lone surrogates, U+FFFE/U+FFFF);
 * librsvg rejects the whole document otherwise. Line breaks become spaces: a label is one line.
 */
function cleanText(text: string): string {
  let out = '';
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp === 0x09 || cp === 0x0a || cp === 0x0d) out += ' ';
    else if (cp >= 0x20 && cp !== 0x7f && !(cp >= 0xd800 && cp <= 0xdfff) && cp !== 0xfffe && cp !== 0xffff) out += char;
  }
  return out.replace(/ {2,}/g, ' ').trim();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
