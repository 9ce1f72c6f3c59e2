/** A failure the user can fix: printed as one line, without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    /** 1 for a failed run, 2 for bad usage */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
