import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { lastThirtyDays, renderSpendChart, spendChartSvg, type DailySpend } from '../../../src/charts/spend-chart.js';

const NOW = Date.UTC(2024, 2, 5, 13, 30); // 2024-03-05, a leap year: the window holds Feb 29

function bars(svg: string): Array<{ day: string; height: number; y: number }> {
  return [...svg.matchAll(/<rect\b[^>]*\bdata-day="([^"]*)"[^>]*>/g)].map((m) => {
    const attr = (name: string) => Number(new RegExp(`\\b${name}="([^"]*)"`).exec(m[0])?.[1]);
    return { day: m[1] ?? '', height: attr('height'), y: attr('y') };
  });
}

const texts = (svg: string): string[] => [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

function month(spend: Record<string, number>): DailySpend[] {
  return lastThirtyDays(
    Object.entries(spend).map(([day, usd]) => ({ day, usd, images: Math.round(usd * 50) })),
    NOW,
  );
}

describe('lastThirtyDays', () => {
  it('fills the 30 days ending today, oldest first, across a month boundary', () => {
    const days = lastThirtyDays(
      [
        { day: '2024-03-05', usd: 1.5, images: 30 },
        { day: '2024-02-29', usd: 0.25, images: 5 },
        { day: '2024-02-05', usd: 0.1, images: 2 },
      ],
      NOW,
    );
    expect(days).toHaveLength(30);
    expect(days[0]).toEqual({ day: '2024-02-05', usd: 0.1, images: 2 });
    expect(days.map((d) => d.day).slice(23, 27)).toEqual(['2024-02-28', '2024-02-29', '2024-03-01', '2024-03-02']);
    expect(days[24]).toEqual({ day: '2024-02-29', usd: 0.25, images: 5 });
    expect(days[29]).toEqual({ day: '2024-03-05', usd: 1.5, images: 30 });
    expect(days.filter((d) => d.usd === 0 && d.images === 0)).toHaveLength(27);
  });

  it('crosses a year boundary the same way', () => {
    const days = lastThirtyDays([], Date.UTC(2025, 0, 10, 23, 59, 59));
    expect(days[0]?.day).toBe('2024-12-12');
    expect(days[19]?.day).toBe('2024-12-31');
    expect(days[20]?.day).toBe('2025-01-01');
    expect(days[29]?.day).toBe('2025-01-10');
  });

  it('adds up rows for the same day and drops rows outside the window', () => {
    const days = lastThirtyDays(
      [
        { day: '2024-03-01', usd: 0.1, images: 1 },
        { day: '2024-03-01', usd: 0.2, images: 2 },
        { day: '2024-02-04', usd: 9, images: 9 },
        { day: '2024-03-06', usd: 9, images: 9 },
      ],
      NOW,
    );
    expect(days[25]?.usd).toBeCloseTo(0.3);
    expect(days[25]?.images).toBe(3);
    expect(days.reduce((sum, d) => sum + d.images, 0)).toBe(3);
  });
});

describe('spendChartSvg', () => {
  it('draws one bar per day, the busiest day tallest and an idle day flat', () => {
    const svg = spendChartSvg(month({ '2024-02-10': 0.4, '2024-02-20': 3.2, '2024-03-05': 1.1 }));
    const drawn = bars(svg);
    expect(drawn).toHaveLength(30);
    expect(drawn.map((b) => b.day)).toEqual(lastThirtyDays([], NOW).map((d) => d.day));
    const tallest = drawn.reduce((a, b) => (b.height > a.height ? b : a));
    expect(tallest.day).toBe('2024-02-20');
    expect(drawn.find((b) => b.day === '2024-02-10')?.height).toBeLessThan(drawn.find((b) => b.day === '2024-03-05')?.height ?? 0);
    expect(drawn.find((b) => b.day === '2024-02-11')?.height).toBe(0);
    // Bars stand on one baseline.
    expect(new Set(drawn.map((b) => Math.round((b.y + b.height) * 10)))).toHaveLength(1);
  });

  it('scales the axis to a round number above the busiest day and labels it in dollars', () => {
    const labels = texts(spendChartSvg(month({ '2024-02-20': 3.2 })));
    expect(labels).toEqual(expect.arrayContaining(['$0', '$1', '$2', '$3', '$4']));
    expect(labels).not.toContain('$5');
  });

  it('shows the total for the period', () => {
    const labels = texts(spendChartSvg(month({ '2024-02-20': 3.2, '2024-03-01': 1.04 })));
    expect(labels).toContain('Total $4.24 · 212 images');
  });

  it('draws a month with no spend as empty bars on a one-dollar axis', () => {
    const svg = spendChartSvg(lastThirtyDays([], NOW));
    expect(bars(svg).every((b) => b.height === 0)).toBe(true);
    expect(texts(svg)).toEqual(expect.arrayContaining(['$0.00', '$0.25', '$1.00', 'Total $0.00 · 0 images']));
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('dates about every fifth day, today included', () => {
    const labels = texts(spendChartSvg(lastThirtyDays([], NOW)));
    expect(labels).toEqual(expect.arrayContaining(['Feb 9', 'Feb 29', 'Mar 5']));
    expect(labels.filter((t) => /^(Feb|Mar) \d+$/.test(t))).toHaveLength(6);
  });

  it('escapes a title typed by a server admin', () => {
    const svg = spendChartSvg(lastThirtyDays([], NOW), { title: '<script>& "Guild" \u0007' });
    expect(svg).not.toContain('<script>');
    expect(texts(svg)).toContain('&lt;script&gt;&amp; &quot;Guild&quot;');
  });

  it('formats money and dates in the given locale', () => {
    const labels = texts(spendChartSvg(month({ '2024-02-20': 0.9, '2024-03-01': 0.35 }), { locale: 'es-ES' }));
    expect(labels).toContain('0,25\u00a0US$');
    expect(labels.some((t) => t.startsWith('Total 1,25\u00a0US$'))).toBe(true);
    expect(labels).toContain('29 feb');
  });

  it('falls back to en-US for a locale Intl cannot read', () => {
    expect(texts(spendChartSvg(lastThirtyDays([], NOW), { locale: 'not a locale!' }))).toContain('$1.00');
  });

  it('keeps everything inside the SVG', () => {
    const svg = spendChartSvg(month({ '2024-02-20': 1 }), { title: 'https://example.com/x.png' });
    expect(svg).not.toMatch(/href|url\(|<image|<style|@import/i);
  });

  it('refuses a size that is not a sensible number of pixels', () => {
    expect(() => spendChartSvg([], { width: 0 })).toThrow(RangeError);
    expect(() => spendChartSvg([], { height: 400.5 })).toThrow(RangeError);
    expect(() => spendChartSvg([], { width: 100_000 })).toThrow(RangeError);
  });
});

describe('renderSpendChart', () => {
  it.each([
    [800, 400],
    [640, 320],
  ])('renders a %ix%i PNG', async (width, height) => {
    const png = await renderSpendChart(month({ '2024-02-20': 3.2, '2024-03-05': 1.1 }), { width, height, title: 'Spend on <My & Server>' });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('uses 800x400 by default and renders a month with no spend', async () => {
    const meta = await sharp(await renderSpendChart(lastThirtyDays([], NOW))).metadata();
    expect([meta.width, meta.height]).toEqual([800, 400]);
  });

  it('renders whatever a server is called', async () => {
    const title = `<script>&\u0000\uffff\ud800 ${'𝔘nicode 🎨 名前 '.repeat(20)}`;
    const meta = await sharp(await renderSpendChart(lastThirtyDays([], NOW), { title })).metadata();
    expect(meta.width).toBe(800);
  });
});
