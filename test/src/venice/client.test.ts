import { describe, expect, it } from 'vitest';
import { cleanVeniceMessage } from '../../../src/venice/client.js';

describe("cleaning Venice's error text for the user", () => {
  it('keeps a short message as it is', () => {
    expect(cleanVeniceMessage('Invalid style_preset')).toBe('Invalid style_preset');
  });

  it('puts a multi-line message on one line', () => {
    expect(cleanVeniceMessage('  Invalid request\n\n  width: must be divisible by 16\t ')).toBe('Invalid request width: must be divisible by 16');
  });

  it('shortens a long message to 300 characters ending in an ellipsis', () => {
    const cleaned = cleanVeniceMessage('word '.repeat(200));
    expect(cleaned).toHaveLength(300);
    expect(cleaned?.endsWith('...')).toBe(true);
  });

  it('gives nothing for no message', () => {
    expect(cleanVeniceMessage(undefined)).toBeUndefined();
    expect(cleanVeniceMessage('')).toBeUndefined();
  });
});
