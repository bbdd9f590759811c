import { randomBytes } from 'node:crypto';

/**
 * An error whose text is written for the person who typed the command: it says what to
 * change. Anything else is internal and is shown only as a short error id.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A short id shown to the user for an internal error; the log keeps the whole error under it. */
export const newErrorId = (): string => randomBytes(4).toString('hex');

export const internalErrorText = (errorId: string): string =>
  `Something went wrong on our side (error id \`${errorId}\`). Try again; if it keeps happening, give the id to the server's admins.`;
