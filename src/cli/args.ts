import { UsageError } from './usage-error';

/** One option a command accepts: `--name`, optionally `-x`, with a value or without. */
export interface OptionSpec {
  /** The long name, without its dashes. */
  name: string;
  /** The one-letter short name, without its dash. */
  short?: string;
  /** Whether it takes a value (`--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`). */
  value?: boolean;
}

/** A parsed command line: flags by long name (repeatable ones collect), and the positional rest. */
export interface ParsedArgs {
  flags: Map<string, string[]>;
  positional: string[];
}

/**
 * Parses a command's arguments against its options: `--name value`, `--name=value`, boolean
 * `--name`, `-x value`, `-xvalue` and clusters of boolean short flags (`-hV`). Options and
 * positional words may come in any order; `--` ends the options (what follows is positional
 * even if it starts with a dash) and a lone `-` is positional (standard input). Anything else
 * that starts with a dash and is not an option is a {@link UsageError}: an unknown flag is
 * refused, never taken for text.
 */
export function parseArgs(argv: readonly string[], options: readonly OptionSpec[]): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  const add = (name: string, value: string) => flags.set(name, [...(flags.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const option = options.find((o) => o.name === name);
      if (!option) throw unknownOption(`--${name}`);
      if (!option.value) {
        if (eq !== -1) throw new UsageError(`--${name} takes no value`);
        add(name, 'true');
        continue;
      }
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      add(name, value);
      continue;
    }
    // One or more short flags: `-h`, `-hV`, `-m NAME`, `-mNAME`.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const option = options.find((o) => o.short === letter);
      if (!option) throw unknownOption(j === 1 ? arg : `-${letter} (in ${arg})`);
      if (!option.value) {
        add(option.name, 'true');
        continue;
      }
      const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`-${letter} (--${option.name}) needs a value`);
      add(option.name, value);
      break;
    }
  }
  return { flags, positional };
}

function unknownOption(shown: string): UsageError {
  return new UsageError(
    `unknown option ${shown} (to pass a word that starts with a dash, put it after --)`,
  );
}

/** The last value of a flag (later ones win), or undefined. */
export function last(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

/**
 * A flag as a whole number of at least `min` (and at most `max`), written in plain digits; or
 * undefined when absent. Anything else (`2.5`, `1e3`, `0x10`, `-1`, an empty value) is a
 * usage error.
 */
export function integerFlag(
  args: ParsedArgs,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = last(args, name);
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min))
    throw new UsageError(`--${name} must be a whole number >= ${min}, not ${show(value)}`);
  if (n > max) throw new UsageError(`--${name} must be at most ${max}, not ${value}`);
  return n;
}

/** A flag as a plain decimal number >= 0 (`0.7`, `1`, `.5`), or undefined when absent. */
export function decimalFlag(args: ParsedArgs, name: string): number | undefined {
  const value = last(args, name);
  if (value === undefined) return undefined;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value)) {
    throw new UsageError(`--${name} must be a number >= 0, not ${show(value)}`);
  }
  return Number(value);
}

/** A value for a message: cut when long, quoted when blank or not plain printable ASCII. */
function show(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return cut.trim() === '' || /[^\x20-\x7e…]/.test(cut) ? JSON.stringify(cut) : cut;
}
