import type { OptionSpec } from './args';

/*
 * The commands' options and help texts. A leaf module: `main` reads it for `--help`,
 * `--version` and usage errors without loading any command (nor rxjs, zod or undici).
 */

/** The commands of `rxchat`. */
export type CommandName = 'chat' | 'serve' | 'inspect';

export const COMMAND_NAMES: readonly CommandName[] = ['chat', 'serve', 'inspect'];

/** `-h`/`--help` and `-V`/`--version`, which every command takes. */
const COMMON: readonly OptionSpec[] = [
  { name: 'help', short: 'h' },
  { name: 'version', short: 'V' },
];

export const CHAT_OPTIONS: readonly OptionSpec[] = [
  { name: 'model', short: 'm', value: true },
  { name: 'api', value: true },
  { name: 'base-url', value: true },
  { name: 'system', short: 's', value: true },
  { name: 'header', short: 'H', value: true },
  { name: 'format', value: true },
  { name: 'max-tokens', value: true },
  { name: 'max-completion-tokens', value: true },
  { name: 'temperature', value: true },
  { name: 'timeout', value: true },
  { name: 'retries', value: true },
  { name: 'no-usage' },
  { name: 'json-schema', value: true },
  { name: 'schema-name', value: true },
  { name: 'tools', value: true },
  { name: 'tool-choice', value: true },
  ...COMMON,
];

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'port', value: true },
  { name: 'host', value: true },
  { name: 'dialect', value: true },
  { name: 'pace', value: true },
  { name: 'fault', value: true },
  { name: 'api-key', value: true },
  { name: 'relay' },
  { name: 'relay-redis', value: true },
  ...COMMON,
];

export const INSPECT_OPTIONS: readonly OptionSpec[] = [
  { name: 'jsonl' },
  { name: 'protocol', value: true },
  ...COMMON,
];

export const OPTIONS: Record<CommandName, readonly OptionSpec[]> = {
  chat: CHAT_OPTIONS,
  serve: SERVE_OPTIONS,
  inspect: INSPECT_OPTIONS,
};

const CHAT_HELP = `rxchat chat [options] [--] [PROMPT...]   stream a chat completion
  -m, --model NAME         model (default $RXCHAT_MODEL, or gpt-4o-mini; mock-1 on the mock server)
      --api API            chat (default: POST /chat/completions) or responses (POST /responses:
                           the system message as instructions, the token limit as
                           max_output_tokens; the output is the same)
      --base-url URL       API root, e.g. https://api.openai.com/v1 (default $OPENAI_BASE_URL)
  -s, --system TEXT        a system message first
  -H, --header K:V         an extra request header (repeatable), e.g. -H FC-Tag:cli
      --format FMT         text (default: stream the answer), json (the final completion; on
                           failure {"ok":false,"completion","error"}), ndjson (one event per line)
      --max-tokens N       max_tokens (N >= 1)
      --max-completion-tokens N
                           max_completion_tokens (N >= 1; OpenAI's reasoning models require it;
                           with --api responses, max_output_tokens, as is --max-tokens)
      --temperature T      temperature (a number >= 0)
      --timeout MS         idle timeout between data events (default 600000; 0: none)
      --retries N          retries before any output (default 2)
      --no-usage           do not send stream_options.include_usage (chat only: a Responses
                           stream always reports usage)
      --json-schema FILE   ask for JSON matching the JSON Schema in FILE (response_format, or
                           text.format with --api responses; strict when every object lists
                           all its properties as required with additionalProperties false) and
                           print the answer's object: redrawn as it grows on a terminal, once
                           at the end when piped. It is checked as JSON only (rxchat has no JSON
                           Schema validator; the server's strict mode enforces the schema).
                           --format json/ndjson print as usual (the content is the JSON text)
      --schema-name NAME   the schema's name for the model (default answer)
      --tools FILE         tools the model may call: a JSON array of chat tool definitions
                           ({"type":"function","function":{"name",…}}) or of plain
                           {"name","description","parameters"}. Calls are printed when complete,
                           not run: the CLI has no way to run your code
      --tool-choice C      auto, required, none, or the NAME of one of the tools
  -h, --help               this help
  -V, --version            the version of rxchat
  PROMPT is the words after the options; -- ends the options (for a prompt that starts with -).
  Piped standard input is read too: alone, it is the prompt; with words, it is sent first (the
  material), then a blank line, then the words (the instruction). - reads standard input even
  from a terminal; otherwise a terminal is never waited for.
  The endpoint is --base-url or $OPENAI_BASE_URL; the API key $RXCHAT_API_KEY or
  $OPENAI_API_KEY. With no endpoint, the built-in mock server answers (and rxchat says so on
  stderr; a key alone is sent nowhere): set OPENAI_BASE_URL=https://api.openai.com/v1 for OpenAI.
  Exit codes: 0 done, 1 the request failed, 2 a bad command line, 130 Ctrl-C.`;

const SERVE_HELP = `rxchat serve [options]   run the built-in OpenAI-compatible mock server
      --port N             port (default 0: any free port)
      --host HOST          interface (default 127.0.0.1; loopback only unless told otherwise)
      --dialect NAME       openai, azure, openrouter, groq, deepseek, mistral, vllm, no-done, …
      --pace MODE          realistic (default) or none
      --fault SPEC         inject a fault into every response (repeatable), e.g. status:429,
                           error-before, error-after:3, disconnect-after:5, stall:keepalive
      --api-key KEY        require this bearer key
      --relay              also serve an rxchat/relay under /relay on the same origin: POST
                           /relay/runs with a chat request starts a run on the mock (its
                           x-mock-* headers go along) and answers {"id","events","stop"};
                           GET /relay/runs/ID/events streams it (resumable SSE), POST
                           /relay/runs/ID/stop stops it
      --relay-redis URL    the same, with the runs kept in Redis (redis://host:port; needs
                           the ioredis package), so several servers share them
  -h, --help               this help
  -V, --version            the version of rxchat
  Prints the API root (e.g. http://127.0.0.1:8787/v1) on stdout, then with a relay
  "relay: http://127.0.0.1:8787/relay"; Ctrl-C stops it.`;

const INSPECT_HELP = `rxchat inspect [--jsonl] [--protocol P] [--] FILE...   run recorded transcripts through the pipeline
      --jsonl              one JSON line per file: {"file","ok","completion","error"}, and
                           "protocol":"responses" for a Responses API recording
      --protocol P         read every file as chat (Chat Completions) or responses (the
                           Responses API) instead of telling each file's protocol by its first
                           event (a file it cannot tell is read as chat)
  -h, --help               this help
  -V, --version            the version of rxchat
  - reads standard input. A whole JSON body (a non-streamed answer) is read too.
  Exit code 0 only if every file succeeded.`;

export const HELP: Record<CommandName, string> = {
  chat: CHAT_HELP,
  serve: SERVE_HELP,
  inspect: INSPECT_HELP,
};

const indent = (text: string) => text.replace(/^/gm, '  ');

/** `rxchat --help`: every command's help, then the global flags. */
export const MAIN_HELP = `Usage:
${[CHAT_HELP, SERVE_HELP, INSPECT_HELP].map(indent).join('\n\n')}

  rxchat -h, --help        this help (rxchat COMMAND --help: one command's)
  rxchat -V, --version     the version of rxchat`;

/** The line after a usage error: where to read more. */
export function helpHint(command: CommandName | undefined): string {
  return `See 'rxchat${command ? ` ${command}` : ''} --help' for more.`;
}
