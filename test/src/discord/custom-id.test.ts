import { describe, expect, it } from 'vitest';
import { decodeCustomId, encodeCustomId } from '../../../src/discord/custom-id.js';

describe('custom ids on buttons and menus', () => {
  it('decode to the command, action and arguments they were made from', () => {
    const id = encodeCustomId('styles', 'page', 2, 'bmVvbg');
    expect(id).toBe('vi:styles:page:2:bmVvbg');
    expect(decodeCustomId(id)).toEqual({ command: 'styles', action: 'page', args: ['2', 'bmVvbg'] });
    expect(decodeCustomId(encodeCustomId('styles', 'pick'))).toEqual({ command: 'styles', action: 'pick', args: [] });
    expect(decodeCustomId(encodeCustomId('styles', 'page', -1, '-'))).toEqual({ command: 'styles', action: 'page', args: ['-1', '-'] });
  });

  it("ignore another bot's or library's components", () => {
    expect(decodeCustomId('collector:next')).toBeUndefined();
    expect(decodeCustomId('xx:styles:page:1')).toBeUndefined();
    expect(decodeCustomId('styles:page')).toBeUndefined();
    expect(decodeCustomId('')).toBeUndefined();
  });

  it('ignore ids that are not well formed', () => {
    expect(decodeCustomId('vi:styles')).toBeUndefined();
    expect(decodeCustomId('vi:styles:page:')).toBeUndefined();
    expect(decodeCustomId('vi:sty les:page')).toBeUndefined();
    expect(decodeCustomId('vi:styles:page:1:2:3:4:5')).toBeUndefined();
    expect(decodeCustomId(`vi:styles:page:${'a'.repeat(41)}`)).toBeUndefined();
  });

  it('refuse to make an id longer than the 100 characters Discord allows', () => {
    expect(encodeCustomId('styles', 'page', 'a'.repeat(40), 'b'.repeat(40), 'ccc')).toHaveLength(100);
    expect(() => encodeCustomId('styles', 'page', 'a'.repeat(40), 'b'.repeat(40), 'cccc')).toThrow('custom id too long: 101');
  });
});
