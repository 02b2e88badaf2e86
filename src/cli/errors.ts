/** An error meant for the person at the terminal: one line, no stack, a chosen exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}

/** Exit codes: 1 = the command failed, 2 = it was called wrongly. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
