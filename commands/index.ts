import type { Command } from '../src/discord/command.js';
import { describeCommand } from './describe/describe.command.js';
import { editCommand } from './edit/edit.command.js';
import { imagineCommand } from './imagine/imagine.command.js';
import { settingsCommand } from './settings/settings.command.js';
import { stylesCommand } from './styles/styles.command.js';
import { usageCommand } from './usage/usage.command.js';

/** Every slash command the bot registers, listed by hand so nothing loads by accident. */
export const commands: readonly Command[] = [imagineCommand, editCommand, describeCommand, stylesCommand, settingsCommand, usageCommand];
