import { describe, expect, it } from 'vitest';
import { translator } from '../../../src/i18n/index.js';

describe('a translator says what was said before as it was, and new values anew', () => {
  it('renders each value of a repeated text, and the same text again the same', () => {
    const t = translator('en-US');
    const said = [1, 2, 1, 3, 2].map((image) => t.t('results.retouch.edit', { image }));
    expect(said).toEqual(['Image 1: ✏️ Edit', 'Image 2: ✏️ Edit', 'Image 1: ✏️ Edit', 'Image 3: ✏️ Edit', 'Image 2: ✏️ Edit']);
    expect(t.t('results.retouch.placeholder')).toBe('Edit an image…');
    expect(t.t('results.retouch.placeholder')).toBe('Edit an image…');
  });

  it('keeps each language to its own words', () => {
    const en = translator('en-US');
    const zh = translator('zh-CN');
    expect(en.t('results.retouch.placeholder')).toBe('Edit an image…');
    expect(zh.t('results.retouch.placeholder')).not.toBe('Edit an image…');
    expect(zh.t('results.retouch.placeholder')).toBe(zh.t('results.retouch.placeholder'));
  });

  it('renders plural forms by count, and long values every time', () => {
    const t = translator('en-US');
    expect([1, 45, 1].map((count) => t.t('common.duration.seconds', { count }))).toEqual(['1 s', '45 s', '1 s']);
    const long = 'x'.repeat(300);
    expect(t.t('results.retouch.edit', { image: long })).toBe(`Image ${long}: ✏️ Edit`);
    expect(t.t('results.retouch.edit', { image: `${long}y` })).toBe(`Image ${long}y: ✏️ Edit`);
  });

  it('does not take Infinity for NaN, which JSON writes alike', () => {
    const t = translator('en-US');
    const nan = t.t('results.retouch.edit', { image: Number.NaN });
    expect(nan).toBe('Image NaN: ✏️ Edit');
    expect(t.t('results.retouch.edit', { image: Number.POSITIVE_INFINITY })).toBe('Image Infinity: ✏️ Edit');
  });

  it('formats numbers with each set of options as asked', () => {
    const t = translator('en-US');
    expect(t.number(1234.5)).toBe('1,234.5');
    expect(t.number(1.25, { minimumFractionDigits: 1, maximumFractionDigits: 1 })).toBe('1.3');
    expect(t.number(1234.5)).toBe('1,234.5');
    expect(translator('es-ES').number(1234.5)).toBe('1234,5');
  });
});
