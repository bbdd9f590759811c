import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import type { Command, CommandContext } from '../../src/discord/command.js';
import { NO_MENTIONS } from '../../src/discord/replies.js';
import { lastThirtyDays, renderSpendChart } from '../../src/charts/spend-chart.js';
import { translator, type Translator } from '../../src/i18n/index.js';
import { dayOf, nextUtcMidnight } from '../../src/store/usage.js';
import { requestScope } from '../imagine/imagine.scope.js';
import { usageData } from './usage.data.js';

const DAY_MS = 24 * 3600_000;
const CHART = { width: 800, height: 400 };

const left = (t: Translator, limit: number | undefined, used: number, format: (n: number) => string) =>
  limit === undefined ? t.t('usage.own.noLimit') : t.t('usage.own.left', { left: format(Math.max(0, limit - used)), limit: format(limit) });

/** The member's own day: what they used, what is left under their rule, their last jobs. */
async function renderOwnUsage(t: Translator, interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<string> {
  const now = ctx.now();
  const scope = await requestScope(interaction, ctx);
  const { settings, guildId } = scope;
  const userId = interaction.user.id;
  const usd = (await ctx.store.usage.userSpent(guildId, userId, now)) + (await ctx.store.jobs.reservedByUser(guildId, userId));
  const images = (await ctx.store.usage.userImages(guildId, userId, now)) + (await ctx.store.jobs.reservedImagesByUser(guildId, userId));
  const budget = guildId ? settings.userDailyBudgetUsd : ctx.operator.dmDailyBudgetUsd;
  const count = (n: number) => t.number(n);
  const lines = [
    t.t(guildId ? 'usage.own.todayServer' : 'usage.own.todayDm', { count: images, images: count(images), usd: t.usd(usd) }),
    t.t('usage.own.limits', {
      images: left(t, guildId ? settings.userDailyImages : undefined, images, count),
      budget: left(t, budget, usd, t.usd),
      resetAt: Math.floor(nextUtcMidnight(now) / 1000),
    }),
  ];
  const recent = await ctx.store.generations.recent(guildId, userId, 5);
  if (recent.length > 0) {
    lines.push(t.t('usage.own.recent'));
    for (const g of recent) {
      const at = Math.floor(g.createdAt / 1000);
      lines.push(t.t('usage.own.job', { id: g.id, kind: t.t(`usage.kind.${g.kind}`), model: g.model, outcome: t.t(`usage.outcome.${g.outcome}`), usd: t.usd(g.chargedUsd), at }));
    }
  }
  return lines.join('\n');
}

/**
 * `/usage`: private. Every member sees their own day; with Manage Server, also the server's
 * last 30 days as a chart, the top members and models, and the same numbers as text for
 * screen readers.
 */
async function execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  // The answer is private: the member's own language.
  const t = translator(interaction.locale);
  const own = await renderOwnUsage(t, interaction, ctx);
  const guildId = interaction.guildId;
  const admin = guildId !== null && ctx.isBotInGuild(guildId) && interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true;
  if (!admin) {
    await interaction.editReply({ content: own, allowedMentions: NO_MENTIONS });
    return;
  }
  const now = ctx.now();
  const from = dayOf(now - 29 * DAY_MS);
  const days = lastThirtyDays(await ctx.store.usage.guildDaily(guildId, from), now);
  const total = days.reduce((sum, d) => sum + d.usd, 0);
  const totalImages = days.reduce((sum, d) => sum + d.images, 0);
  const users = await ctx.store.usage.topUsers(guildId, from, 5);
  const models = await ctx.store.generations.topModels(guildId, Date.parse(`${from}T00:00:00Z`), 5);
  const chart = await renderSpendChart(days, {
    ...CHART,
    title: t.t('usage.chart.title'),
    locale: t.language,
    totalLine: (sum) => t.t('usage.chart.total', { count: sum.imageCount, usd: sum.usd, images: sum.images }),
  });
  const busiest = days.filter((d) => d.usd > 0);
  const listed = (items: string[]) => (items.length > 0 ? items.join(t.t('usage.server.separator')) : t.t('usage.server.none'));
  const text = [
    own,
    '',
    t.t('usage.server.total', { count: totalImages, usd: t.usd(total), images: t.number(totalImages) }),
    t.t('usage.server.days', { days: listed(busiest.map((d) => t.t('usage.server.day', { day: t.day(d.day), usd: t.usd(d.usd) }))) }),
    t.t('usage.server.members', { members: listed(users.map((u) => t.t('usage.server.member', { userId: u.userId, usd: t.usd(u.usd), images: t.number(u.images) }))) }),
    t.t('usage.server.models', { models: listed(models.map((m) => t.t('usage.server.model', { count: m.jobs, model: m.model, usd: t.usd(m.usd), jobs: t.number(m.jobs) }))) }),
  ].join('\n');
  await interaction.editReply({
    content: text.length > 2000 ? `${text.slice(0, 1999)}…` : text,
    files: [{ attachment: chart, name: 'spending.png', description: t.t('usage.chart.description', { usd: t.usd(total) }) }],
    allowedMentions: NO_MENTIONS,
  });
}

export const usageCommand: Command = {
  data: usageData,
  defer: { ephemeral: true },
  execute,
};
