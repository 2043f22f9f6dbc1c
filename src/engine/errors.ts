// Errors a user can act on. The CLI prints their message on one line and exits non-zero, with no stack.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** True for errors whose message alone tells the user what to fix. */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
