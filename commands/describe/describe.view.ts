import { ButtonStyle, ComponentType, escapeMarkdown, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import { encodeCustomId } from '../../src/discord/custom-id.js';
import type { Translator } from '../../src/i18n/index.js';

const MESSAGE_MAX = 2000;

/** A price as the language writes it; below a tenth of a cent (most describes) with two significant digits, not "$0.000". */
export function describeUsd(t: Translator, amount: number): string {
  return amount > 0 && amount < 0.001 ? t.number(amount, { style: 'currency', currency: 'USD', maximumSignificantDigits: 2 }) : t.usd(amount);
}

export interface DescribeAnswer {
  generationId: string;
  modelName: string;
  /** What the describe cost, as charged. */
  chargedUsd: number;
  prompts: readonly string[];
  /** How many prompts were asked for. */
  asked: number;
}

/**
 * The private answer to /describe: the prompts, numbered, and one button per prompt that runs
 * it through /imagine. The buttons carry only the generation and the prompt's number; the
 * prompts themselves are in the store.
 */
export function renderDescribeAnswer(t: Translator, answer: DescribeAnswer): { content: string; components: APIActionRowComponent<APIComponentInMessageActionRow>[] } {
  const heading = t.t('describe.answer.heading', { model: escapeMarkdown(answer.modelName), price: describeUsd(t, answer.chargedUsd) });
  const fewer = answer.prompts.length < answer.asked ? t.t('describe.answer.fewer', { count: answer.asked, given: t.number(answer.prompts.length) }) : undefined;
  // Escaping can lengthen a prompt: each line gets an equal share of what one message holds.
  const share = Math.floor((MESSAGE_MAX - heading.length - (fewer?.length ?? 0) - 2) / Math.max(1, answer.prompts.length)) - 1;
  const lines = answer.prompts.map((prompt, i) => {
    const line = `${t.number(i + 1)}. ${escapeMarkdown(prompt)}`;
    return line.length > share ? `${line.slice(0, share - 1)}…` : line;
  });
  const content = [heading, ...lines, ...(fewer ? [fewer] : [])].join('\n');
  return {
    content,
    components: [
      {
        type: ComponentType.ActionRow,
        components: answer.prompts.map((_, i) => ({
          type: ComponentType.Button,
          style: ButtonStyle.Primary,
          label: t.t('describe.buttons.imagine', { number: t.number(i + 1) }),
          custom_id: encodeCustomId('describe', 'imagine', answer.generationId, i + 1),
        })),
      },
    ],
  };
}
