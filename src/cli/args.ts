import { UsageError } from './usage-error';

/** A parsed command line: flags by name (repeatable ones collect), and the positional rest. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name` flags. `valued` lists the flags
 * that take a value; anything else starting with `--` must be in `booleans`. `--` ends flags.
 */
export function parseArgs(
  argv: readonly string[],
  valued: readonly string[],
  booleans: readonly string[] = [],
): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (valued.includes(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      add(name, value);
    } else if (booleans.includes(name) && eq === -1) {
      add(name, 'true');
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positional };
}

/** The last value of a flag (later ones win), or undefined. */
export function last(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

/** A flag as a non-negative number, or undefined; a bad number is a usage error. */
export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const value = last(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number >= 0`);
  return n;
}
