import { describe, expect, it } from 'vitest';
import {
  IMAGE_TOKENS_MAX,
  IMAGE_TOKENS_MIN,
  MAX_OUTPUT_TOKENS,
  PROMPT_MAX_CHARS,
  buildDescribeRequest,
  describeInstruction,
  describeReserveUsd,
  imageTokenBound,
  parsePrompts,
  priceUsage,
} from '../../../commands/describe/describe.plan.js';
import { renderDescribeAnswer } from '../../../commands/describe/describe.view.js';
import { decodeCustomId } from '../../../src/discord/custom-id.js';
import { en, translator } from '../../../src/i18n/index.js';
import type { TextModel } from '../../../src/venice/catalog.js';
import { checkAgainstSpec, specPointers } from '../../support/venice/spec.js';

const qwen: TextModel = { id: 'qwen3-vl-235b-a22b', name: 'Qwen3 VL 235B', vision: true, pricing: { inputUsd: 0.25, outputUsd: 1.5 }, maxCompletionTokens: 32_768, traits: [] };

describe('reading the prompts in a model’s answer', () => {
  it('reads the JSON asked for, fenced or not, with text around it', () => {
    expect(parsePrompts('{"prompts": ["a red fox", "a blue bird"]}')).toEqual(['a red fox', 'a blue bird']);
    expect(parsePrompts('Sure! Here you go:\n```json\n{"prompts":["a red fox","a blue bird"]}\n```\nEnjoy.')).toEqual(['a red fox', 'a blue bird']);
    expect(parsePrompts('["one cat", "two cats"]')).toEqual(['one cat', 'two cats']);
    expect(parsePrompts('{"prompts": [{"prompt": "a tiny robot"}, {"prompt": "a big robot"}]}')).toEqual(['a tiny robot', 'a big robot']);
  });

  it('reads a numbered or bulleted list, dropping the lead-in, labels, quotes and emphasis', () => {
    const text = 'Here are four prompts:\n\n1. "A misty forest at dawn"\n2) **A neon city street in the rain**\n- Prompt 3: a watercolour harbour\n• a macro shot of dew';
    expect(parsePrompts(text)).toEqual(['A misty forest at dawn', 'A neon city street in the rain', 'a watercolour harbour', 'a macro shot of dew']);
  });

  it('keeps at most the number asked for and never more than four, without blanks or duplicates', () => {
    const text = ['a', 'one lake', 'One lake', '', '---', 'two lakes', 'three lakes', 'four lakes', 'five lakes'].join('\n');
    expect(parsePrompts(text)).toEqual(['one lake', 'two lakes', 'three lakes', 'four lakes']);
    expect(parsePrompts(text, 2)).toEqual(['one lake', 'two lakes']);
    expect(parsePrompts(text, 9)).toHaveLength(4);
  });

  it('cuts a long prompt at a word boundary and ignores a reasoning block', () => {
    const long = `${'word '.repeat(200)}end`;
    const [cut] = parsePrompts(`<think>the user wants prompts</think>${long}`);
    expect(cut!.length).toBeLessThanOrEqual(PROMPT_MAX_CHARS);
    expect(cut!.endsWith('word')).toBe(true);
    expect(parsePrompts('<think>never closed')).toEqual([]);
  });

  it('finds nothing in an empty or unusable answer', () => {
    expect(parsePrompts('')).toEqual([]);
    expect(parsePrompts('```\n```')).toEqual([]);
    expect(parsePrompts('{"prompts": []}')).toEqual([]);
    expect(parsePrompts('1.\n2.\n...')).toEqual([]);
  });
});

describe('pricing a describe', () => {
  it('bounds an image’s tokens by its area, between the floor and the ceiling, and the most when the size is unknown', () => {
    expect(imageTokenBound(256, 256)).toBe(IMAGE_TOKENS_MIN);
    expect(imageTokenBound(2048, 2048)).toBe(Math.ceil((2048 * 2048) / 784));
    expect(imageTokenBound(8000, 4000)).toBe(IMAGE_TOKENS_MAX);
    expect(imageTokenBound(null, null)).toBe(IMAGE_TOKENS_MAX);
  });

  it('reserves the image bound, the instruction and the whole output allowance at the model’s prices', () => {
    const input = imageTokenBound(1024, 1024) + Math.ceil(describeInstruction(4).length / 3) + 64;
    const expected = (input * 0.25 + MAX_OUTPUT_TOKENS * 1.5) / 1e6;
    const reserve = describeReserveUsd(qwen, { width: 1024, height: 1024 }, 4)!;
    expect(reserve).toBeGreaterThanOrEqual(expected);
    expect(reserve - expected).toBeLessThan(1e-6);
    // Unknown size: the most an image can cost.
    expect(describeReserveUsd(qwen, { width: null, height: null }, 4)!).toBeGreaterThan(reserve);
    expect(describeReserveUsd({ ...qwen, pricing: undefined }, { width: 1024, height: 1024 }, 4)).toBeUndefined();
  });

  it('charges what Venice counted, at the model’s prices, to the nano-dollar', () => {
    expect(priceUsage(qwen, { promptTokens: 1000, completionTokens: 100 })).toBeCloseTo((1000 * 0.25 + 100 * 1.5) / 1e6, 12);
    expect(priceUsage(qwen, { promptTokens: 301, completionTokens: 0 })).toBe(0.00007525);
  });

  it('covers what the reservation allows: the reserve is never below the charge for the bound itself', () => {
    const bound = imageTokenBound(512, 512) + Math.ceil(describeInstruction(4).length / 3) + 64;
    expect(describeReserveUsd(qwen, { width: 512, height: 512 }, 4)!).toBeGreaterThanOrEqual(priceUsage(qwen, { promptTokens: bound, completionTokens: MAX_OUTPUT_TOKENS }));
  });
});

describe('the describe request', () => {
  it('is a spec-valid ChatCompletionRequest with the image as a data URL and a bounded answer', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const body = buildDescribeRequest({ ...qwen, maxCompletionTokens: 300 }, { bytes, contentType: 'image/png' }, 3);
    expect(checkAgainstSpec(specPointers.chatCompletionRequest, body)).toEqual([]);
    expect(body.max_completion_tokens).toBe(300);
    const parts = body.messages[0]!.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(parts[0]?.text).toMatch(/^Look at this image and write 3 distinct image-generation prompts/);
    expect(parts[1]?.image_url?.url).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
    expect(describeInstruction(1)).toMatch(/write one image-generation prompt/);
  });
});

describe('the describe answer', () => {
  it('numbers the prompts, escapes their markdown and gives each a button carrying only the generation and its number', () => {
    const view = renderDescribeAnswer(en, { generationId: 'abc123', modelName: 'Qwen3 VL 235B', chargedUsd: 0.000205, prompts: ['a *bold* fox', 'a quiet lake'], asked: 4 });
    expect(view.content).toBe(
      'Prompts from your image, by Qwen3 VL 235B ($0.00021). Press a button to make one with /imagine:\n1. a \\*bold\\* fox\n2. a quiet lake\nVenice gave 2 of the 4 prompts asked for.',
    );
    const buttons = view.components[0]!.components as Array<{ label: string; custom_id: string }>;
    expect(buttons.map((b) => b.label)).toEqual(['Imagine 1', 'Imagine 2']);
    expect(buttons.map((b) => decodeCustomId(b.custom_id))).toEqual([
      { command: 'describe', action: 'imagine', args: ['abc123', '1'] },
      { command: 'describe', action: 'imagine', args: ['abc123', '2'] },
    ]);
  });

  it('stays within one Discord message with four of the longest prompts', () => {
    const prompts = Array.from({ length: 4 }, () => '*'.repeat(PROMPT_MAX_CHARS));
    const view = renderDescribeAnswer(translator('es-ES'), { generationId: 'abc123', modelName: 'Qwen3 VL 235B', chargedUsd: 0.002, prompts, asked: 4 });
    expect(view.content.length).toBeLessThanOrEqual(2000);
    expect(view.content).toMatch(/^Prompts a partir de tu imagen/);
  });
});
