import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT_USAGE } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing: an unknown flag, a missing value or a stray argument is a usage error. */
export function parseOptions<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const err = e as { code?: string; message: string };
    const flag = /'(--?[A-Za-z0-9-]+)/.exec(err.message)?.[1];
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new CliError(`unknown option ${flag ?? ''} (see --help)`.replace('  ', ' '), EXIT_USAGE);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new CliError(`option ${flag ?? ''} needs a value`.replace('  ', ' '), EXIT_USAGE);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new CliError(`unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''} (see --help)`, EXIT_USAGE);
      default:
        throw new CliError('could not read the command line (see --help)', EXIT_USAGE);
    }
  }
}

/** A whole number within bounds, or a usage error naming the option. */
export function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value)) throw new CliError(`--${name} must be a whole number, not "${value.slice(0, 20)}"`, EXIT_USAGE);
  const n = Number(value);
  if (n < min || n > max) throw new CliError(`--${name} must be between ${min} and ${max}`, EXIT_USAGE);
  return n;
}
