import { decimalFlag, integerFlag, parseArgs } from '../../src/cli/args';
import { CHAT_OPTIONS } from '../../src/cli/usage';
import { UsageError } from '../../src/cli/usage-error';

// The argument parser in-process: short flags, `--`, and numbers checked before anything runs.

const parse = (...argv: string[]) => {
  const { flags, positional } = parseArgs(argv, CHAT_OPTIONS);
  return { flags: Object.fromEntries(flags), positional };
};

const usageError = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no usage error');
};

describe('parseArgs', () => {
  it('takes the short flags as their long names, never as prompt text', () => {
    expect(parse('-m', 'gpt-4o', '-s', 'Be terse.', '-H', 'A:1', '-HB:2', 'hi', 'there')).toEqual({
      flags: { model: ['gpt-4o'], system: ['Be terse.'], header: ['A:1', 'B:2'] },
      positional: ['hi', 'there'],
    });
    expect(parse('-hV')).toEqual({ flags: { help: ['true'], version: ['true'] }, positional: [] });
    expect(parse('--model=a', '--model', 'b', '--no-usage').flags).toEqual({
      model: ['a', 'b'],
      'no-usage': ['true'],
    });
  });

  it('refuses an unknown dash, and passes everything after -- (and a lone -) as words', () => {
    expect(usageError(() => parse('-x', 'hi'))).toBe(
      'unknown option -x (to pass a word that starts with a dash, put it after --)',
    );
    expect(usageError(() => parse('-hx'))).toMatch(/^unknown option -x \(in -hx\)/);
    expect(usageError(() => parse('hi', '--nope'))).toMatch(/^unknown option --nope /);
    expect(usageError(() => parse('-m'))).toBe('-m (--model) needs a value');
    expect(usageError(() => parse('--system'))).toBe('--system needs a value');
    expect(usageError(() => parse('--no-usage=yes'))).toBe('--no-usage takes no value');
    expect(parse('-', '--', '-5 degrees', '--help', '-m')).toEqual({
      flags: {},
      positional: ['-', '-5 degrees', '--help', '-m'],
    });
  });

  it('checks whole numbers and decimals strictly', () => {
    const flag = (value: string) => parseArgs(['--max-tokens', value], CHAT_OPTIONS);
    expect(integerFlag(flag('64'), 'max-tokens', 1)).toBe(64);
    for (const bad of ['0', '2.5', '1e3', '0x10', '-1', '', ' 7', 'ten']) {
      expect(usageError(() => integerFlag(flag(bad), 'max-tokens', 1))).toMatch(
        /^--max-tokens must be a whole number >= 1, not /,
      );
    }
    expect(usageError(() => integerFlag(flag('12'), 'max-tokens', 1, 10))).toBe(
      '--max-tokens must be at most 10, not 12',
    );
    const temperature = (value: string) => parseArgs(['--temperature', value], CHAT_OPTIONS);
    expect(decimalFlag(temperature('0.7'), 'temperature')).toBe(0.7);
    expect(decimalFlag(temperature('.5'), 'temperature')).toBe(0.5);
    for (const bad of ['', '-1', 'NaN', 'Infinity', '1e1', '0.7x']) {
      expect(usageError(() => decimalFlag(temperature(bad), 'temperature'))).toMatch(
        /^--temperature must be a number >= 0/,
      );
    }
  });
});
