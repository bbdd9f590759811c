import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { CATALOGUE_OF, LANGUAGES, type Language } from './index.js';
import { catalogues } from './catalogues.js';

/**
 * Discord's rule for command and option names (the application-commands docs): 1-32 of
 * these characters, and lowercase wherever a letter has a lowercase form.
 */
const NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

type Localizations = Partial<Record<Language, string>>;
interface Node {
  name: string;
  description?: string;
  name_localizations?: Localizations | null;
  description_localizations?: Localizations | null;
  options?: Node[];
  choices?: Array<{ name: string; value: string | number; name_localizations?: Localizations | null }>;
}

/** A choice's catalogue key: its value, with what i18next would read as a key path made plain. */
export const choiceKey = (value: string | number): string => String(value).replace(/[^A-Za-z0-9_-]/g, '_');

function lookup(catalogue: object, path: readonly string[]): string | undefined {
  let at: unknown = catalogue;
  for (const part of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

function checkName(name: string, where: string): void {
  if (!NAME.test(name) || name !== name.toLowerCase()) throw new Error(`${where}: "${name}" breaks Discord's rule for names (1-32 lowercase letters, digits, - or _)`);
}
function checkText(text: string, where: string): void {
  if (text.length < 1 || text.length > 100) throw new Error(`${where}: "${text}" must be 1-100 characters, as Discord requires`);
}

/**
 * The command with `name_localizations` and `description_localizations` on the command, on
 * every option and on every choice, read from each language's catalogue at
 * `<command>.command.…` (English is the source text, already in the definition). A
 * translation that breaks Discord's rules throws here, at start, not as a 400 at
 * registration. Languages without a translation of a field are left out of its map, and
 * Discord shows those members the English.
 */
export function localizeCommand<T extends RESTPostAPIChatInputApplicationCommandsJSONBody>(data: T, sources: Readonly<Record<keyof typeof catalogues, object>> = catalogues): T {
  const root = [data.name, 'command'];
  const english = sources['en-US'];
  const visit = (node: Node, path: readonly string[], where: string): Node => {
    const sourceName = lookup(english, [...path, 'name']);
    // The English entry names what the translations translate: a different name is a renamed option.
    if (sourceName !== node.name) throw new Error(`${where}: the English catalogue names it "${sourceName ?? '(nothing)'}", the definition "${node.name}"`);
    const names: Localizations = {};
    const descriptions: Localizations = {};
    for (const language of LANGUAGES) {
      if (language === 'en-US') continue;
      const catalogue = sources[CATALOGUE_OF[language]];
      const name = lookup(catalogue, [...path, 'name']);
      if (name !== undefined) {
        checkName(name, `${where} (${language})`);
        names[language] = name;
      }
      const description = lookup(catalogue, [...path, 'description']);
      if (description !== undefined) {
        checkText(description, `${where} (${language})`);
        descriptions[language] = description;
      }
    }
    const out: Node = { ...node, name_localizations: names, description_localizations: descriptions };
    if (node.options) out.options = node.options.map((o) => visit(o, [...path, 'options', o.name], `${where} ${o.name}`));
    if (node.choices) {
      out.choices = node.choices.map((c) => {
        const choicePath = [...path, 'choices', choiceKey(c.value)];
        const localized: Localizations = {};
        for (const language of LANGUAGES) {
          if (language === 'en-US') continue;
          const name = lookup(sources[CATALOGUE_OF[language]], choicePath);
          if (name === undefined) continue;
          checkText(name, `${where} choice ${c.value} (${language})`);
          localized[language] = name;
        }
        return { ...c, name_localizations: localized };
      });
    }
    return out;
  };
  return visit(data as unknown as Node, root, `/${data.name}`) as unknown as T;
}
