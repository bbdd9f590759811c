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
