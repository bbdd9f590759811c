import { RE2JS, RE2JSSyntaxException } from 're2js';
import { UserError } from '../errors.js';
import { message, type Message, type Translator } from '../i18n/index.js';

/**
 * RE2 runs in time linear in the prompt, but the constant grows with the compiled program:
 * near 1,000 instructions a 32,000-character prompt takes tens of milliseconds, near 9,000 it
 * takes seconds. A word or phrase of the 200 characters Discord allows stays far below this.
 */
const MAX_PROGRAM_SIZE = 1_000;

/** JavaScript's `\s` (what a phrase's spaces meant before): RE2's `\s` is ASCII only. */
const SPACE_RUN = '[\\s\\x{0B}\\p{Z}\\x{FEFF}]+';
/** Unicode letters and digits count as word characters, so "café" and "東京" are whole words too. */
const NOT_WORD = '[^\\p{L}\\p{N}]';

const REGEX_FORM = /^\/(.+)\/([a-z]*)$/s;

type Compiled = { ok: true; re: RE2JS } | { ok: false; problem: Message };

/**
 * Look-arounds and back-references are what make a backtracking engine take exponential time;
 * RE2 has neither, and its own error for `(?<=` ("invalid named capture") would mislead an admin.
 */
function usesLookaroundOrBackreference(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      // Inside a class `\1` is an octal escape, not a back-reference.
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) return true;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && source[i + 1] === '?') {
      const after = source.slice(i + 2, i + 4);
      if (after.startsWith('=') || after.startsWith('!') || after === '<=' || after === '<!') return true;
    }
  }
  return false;
}

function flagsOf(letters: string): number | Message {
  // Every rule ignores case, as word rules always have.
  let flags = RE2JS.CASE_INSENSITIVE;
  for (const letter of letters) {
    if (letter === 's') flags |= RE2JS.DOTALL;
    else if (letter === 'm') flags |= RE2JS.MULTILINE;
    // `u`: RE2 always reads Unicode. `g` and `d` change nothing about whether a prompt matches.
    else if (letter !== 'i' && letter !== 'u' && letter !== 'g' && letter !== 'd') {
      return message('jobs.banned.flag', { flag: letter });
    }
  }
  return flags;
}

function compileBanned(pattern: string): Compiled {
  const regex = REGEX_FORM.exec(pattern);
  let source: string;
  let flags: number;
  if (regex) {
    const body = regex[1]!;
    const parsed = flagsOf(regex[2]!);
    if (typeof parsed !== 'number') return { ok: false, problem: parsed };
    if (usesLookaroundOrBackreference(body)) {
      return { ok: false, problem: message('jobs.banned.lookaround') };
    }
    // Admins write JavaScript regexes: translate `\uXXXX`, `\cX` and `(?<name>` to RE2's spelling.
    source = RE2JS.translateRegExp(body);
    flags = parsed;
  } else {
    const words = pattern.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return { ok: false, problem: message('jobs.banned.empty') };
    // RE2 has no look-behind, so the neighbours are matched instead: for a yes/no test that is the same.
    source = `(?:^|${NOT_WORD})${words.map((w) => RE2JS.quote(w)).join(SPACE_RUN)}(?:$|${NOT_WORD})`;
    flags = RE2JS.CASE_INSENSITIVE;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, flags);
  } catch (err) {
    // RE2's own description of the fault is quoted as it wrote it, like Venice's.
    return { ok: false, problem: err instanceof RE2JSSyntaxException ? message('jobs.banned.invalid', { reason: err.getDescription() }) : message('jobs.banned.notCompiled') };
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    return { ok: false, problem: message('jobs.banned.tooComplex') };
  }
  return { ok: true, re };
}

/**
 * Why an admin's banned pattern cannot be used, in words for that admin, or undefined when it
 * can. Patterns that could stall the bot (look-arounds, back-references, huge programs) are
 * refused here rather than run.
 */
export function describeBannedPatternProblem(t: Translator, pattern: string): string | undefined {
  const compiled = compileBanned(pattern);
  return compiled.ok ? undefined : t.render(compiled.problem);
}

/**
 * Compiles an admin's banned pattern for RE2, which matches in time linear in the prompt:
 * `/expr/flags` is a regular expression, anything else a whole word or phrase; both ignore
 * case. Returns undefined for a pattern {@link describeBannedPatternProblem} refuses.
 */
export function compilePattern(pattern: string): RE2JS | undefined {
  const compiled = compileBanned(pattern);
  return compiled.ok ? compiled.re : undefined;
}

/** The 1-based number of the first banned rule any text matches, if any. */
export function findBannedRule(patterns: readonly string[], texts: ReadonlyArray<string | undefined>): number | undefined {
  for (const [i, pattern] of patterns.entries()) {
    const re = compilePattern(pattern);
    if (re && texts.some((t) => t !== undefined && re.test(t))) return i + 1;
  }
  return undefined;
}

/** Refuses a prompt that matches a banned rule, naming the rule but never repeating the text. */
export function checkBanned(patterns: readonly string[], texts: ReadonlyArray<string | undefined>): void {
  const rule = findBannedRule(patterns, texts);
  if (rule !== undefined) {
    throw new UserError('jobs.banned.matched', { rule });
  }
}
