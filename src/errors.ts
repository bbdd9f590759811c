import { randomBytes } from 'node:crypto';
import { en, type MessageKey, type MessageParams, type Message, type Translator } from './i18n/index.js';

/**
 * An error whose text is written for the person who typed the command: it says what to
 * change. It carries a catalogue key, rendered in the reader's language where it is shown;
 * `message` is the English text, for logs. Anything else is internal and is shown only as a
 * short error id.
 */
export class UserError extends Error {
  readonly said: Message;
  constructor(key: MessageKey, params?: MessageParams) {
    super(en.t(key, params));
    this.name = 'UserError';
    this.said = { key, params };
  }
}

/** A short id shown to the user for an internal error; the log keeps the whole error under it. */
export const newErrorId = (): string => randomBytes(4).toString('hex');

export const internalErrorText = (t: Translator, errorId: string): string => t.t('common.internalError', { errorId });
