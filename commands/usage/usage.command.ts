import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { describeReset } from '../../src/jobs/admission.js';
import { lastThirtyDays, renderSpendChart } from '../../src/charts/spend-chart.js';
import { dayOf } from '../../src/store/usage.js';
import { formatUsd } from '../../src/venice/models.js';
import { requestScope } from '../imagine/imagine.scope.js';
import { usageData } from './usage.data.js';

const DAY_MS = 24 * 3600_000;
const CHART = { width: 800, height: 400 };

const left = (limit: number | undefined, used: number, format: (n: number) => string) => (limit === undefined ? 'no limit' : `${format(Math.max(0, limit - used))} of ${format(limit)} left`);

/** The member's own day: what they used, what is left under their rule, their last jobs. */
function renderOwnUsage(interaction: ChatInputCommandInteraction, ctx: CommandContext): string {
  const now = ctx.now();
  const scope = requestScope(interaction, ctx);
  const { settings, guildId } = scope;
  const userId = interaction.user.id;
  const usd = ctx.store.usage.userSpent(guildId, userId, now) + ctx.store.jobs.reservedByUser(guildId, userId);
  const images = ctx.store.usage.userImages(guildId, userId, now) + ctx.store.jobs.reservedImagesByUser(guildId, userId);
  const where = guildId ? 'in this server' : 'outside any server';
  const budget = guildId ? settings.userDailyBudgetUsd : ctx.operator.dmDailyBudgetUsd;
  const lines = [
    `**Today ${where}:** ${images} image${images === 1 ? '' : 's'}, ${formatUsd(usd)} (jobs still running included).`,
    `Images: ${left(guildId ? settings.userDailyImages : undefined, images, String)} · Budget: ${left(budget, usd, formatUsd)}. ${describeReset(now)}.`,
  ];
  const recent = ctx.store.generations.recent(guildId, userId, 5);
  if (recent.length > 0) {
    lines.push('**Your last jobs:**');
    for (const g of recent) lines.push(`\`${g.id}\` ${g.kind} · ${g.model} · ${g.outcome} · ${formatUsd(g.chargedUsd)} · <t:${Math.floor(g.createdAt / 1000)}:R>`);
  }
  return lines.join('\n');
}

/**
 * `/usage`: private. Every member sees their own day; with Manage Server, also the server's
 * last 30 days as a chart, the top members and models, and the same numbers as text for
 * screen readers.
 */
async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const own = renderOwnUsage(interaction, ctx);
  const guildId = interaction.guildId;
  const admin = guildId !== null && ctx.isBotInGuild(guildId) && interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true;
  if (!admin) {
    await interaction.editReply({ content: own, allowedMentions: NO_MENTIONS });
    return;
  }
  const now = ctx.now();
  const from = dayOf(now - 29 * DAY_MS);
  const days = lastThirtyDays(ctx.store.usage.guildDaily(guildId, from), now);
  const total = days.reduce((sum, d) => sum + d.usd, 0);
  const totalImages = days.reduce((sum, d) => sum + d.images, 0);
  const users = ctx.store.usage.topUsers(guildId, from, 5);
  const models = ctx.store.generations.topModels(guildId, Date.parse(`${from}T00:00:00Z`), 5);
  const chart = await renderSpendChart(days, { ...CHART, title: 'Image spending, last 30 days', locale: interaction.locale });
  const busiest = days.filter((d) => d.usd > 0);
  const text = [
    own,
    '',
    `**This server, last 30 days:** ${formatUsd(total)} for ${totalImages} image${totalImages === 1 ? '' : 's'}.`,
    `Days with spending: ${busiest.length > 0 ? busiest.map((d) => `${d.day.slice(5)} ${formatUsd(d.usd)}`).join(', ') : 'none'}.`,
    `Top members: ${users.length > 0 ? users.map((u) => `<@${u.userId}> ${formatUsd(u.usd)} (${u.images})`).join(', ') : 'none'}.`,
    `Top models: ${models.length > 0 ? models.map((m) => `\`${m.model}\` ${formatUsd(m.usd)} (${m.jobs} job${m.jobs === 1 ? '' : 's'})`).join(', ') : 'none'}.`,
  ].join('\n');
  await interaction.editReply({
    content: text.length > 2000 ? `${text.slice(0, 1999)}…` : text,
    files: [{ attachment: chart, name: 'spending.png', description: `Bar chart of this server's spending per day over the last 30 days; ${formatUsd(total)} in all.` }],
    allowedMentions: NO_MENTIONS,
  });
}

export const usageCommand: Command = {
  data: usageData,
  defer: { ephemeral: true },
  execute,
};
