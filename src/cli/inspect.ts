import { catchError, firstValueFrom, map, of } from 'rxjs';
import { finalCompletion, RxChatError, type ChatCompletion, type RxChatErrorCode } from '../node';
import { last, parseArgs } from './args';
import { INSPECT_PROTOCOLS, readRecording, type InspectProtocol } from './inspect-protocol';
import { readBytes } from './read-stream';
import { toolCallText } from './tool-call-text';
import { INSPECT_OPTIONS } from './usage';
import { UsageError } from './usage-error';

/**
 * The codes `rxchat inspect` reports: every {@link RxChatErrorCode} the pipeline can fail with,
 * and `io_error` for a file that could not be read at all (it never reached the pipeline).
 */
export type InspectErrorCode = RxChatErrorCode | 'io_error';

/** One line of `rxchat inspect --jsonl` (contract). */
export interface InspectResult {
  file: string;
  ok: boolean;
  completion: ChatCompletion | null;
  error: { code: InspectErrorCode; message: string } | null;
  /**
   * `'responses'` for a Responses API recording. Absent for chat, so the line of a chat
   * recording is what it was before `inspect` read the Responses API.
   */
  protocol?: 'responses';
}

/**
 * Runs one recorded transcript (an SSE body, or a whole JSON body) through the same pipeline a
 * live stream uses: `parseChunks()` for chat, `parseResponseEvents()` for the Responses API,
 * as `protocol` says or, without it, as the file's first telling event says (chat when none
 * does).
 */
export function inspectFile(file: string, protocol?: InspectProtocol): Promise<InspectResult> {
  let read: InspectProtocol = protocol ?? 'chat';
  const tagged = (result: InspectResult): InspectResult =>
    read === 'responses' ? { ...result, protocol: 'responses' } : result;
  return firstValueFrom(
    readBytes(file).pipe(
      readRecording(protocol, (decided) => (read = decided)),
      finalCompletion(),
      map((completion): InspectResult => tagged({ file, ok: true, completion, error: null })),
      catchError((error: unknown) => of(tagged(failure(file, error)))),
    ),
  );
}

function failure(file: string, error: unknown): InspectResult {
  if (RxChatError.isInstance(error)) {
    return {
      file,
      ok: false,
      completion: error.partial ?? null,
      error: { code: error.code, message: error.message },
    };
  }
  const err = error as NodeJS.ErrnoException;
  // A file that cannot be read is not a stream error; say what the system said.
  return {
    file,
    ok: false,
    completion: null,
    error: { code: 'io_error', message: err?.message ?? String(error) },
  };
}

/** Human-readable report of one result: a status line, then what the completion holds. */
export function formatResult(result: InspectResult): string {
  const lines: string[] = [];
  const c = result.completion;
  const head = result.ok ? 'ok' : `FAILED ${result.error?.code}: ${result.error?.message}`;
  // Chat, the protocol `inspect` always read, goes unsaid: its report is as it was.
  const where = result.protocol === 'responses' ? `${result.file} [responses]` : result.file;
  lines.push(`${where}: ${head}`);
  if (c) {
    lines.push(`  id ${c.id || '(none)'}  model ${c.model || '(none)'}  created ${c.created}`);
    for (const choice of c.choices) {
      const m = choice.message;
      lines.push(`  choice ${choice.index}: finish_reason ${choice.finish_reason ?? 'null'}`);
      if (m.reasoning !== null)
        lines.push(`    reasoning (${m.reasoning.length} chars): ${preview(m.reasoning)}`);
      if (m.content !== null)
        lines.push(`    content (${m.content.length} chars): ${preview(m.content)}`);
      if (m.refusal !== null) lines.push(`    refusal: ${preview(m.refusal)}`);
      for (const call of m.tool_calls) {
        const { name, input } = toolCallText(call);
        lines.push(`    tool call ${call.id || '(no id)'}: ${name}(${preview(input)})`);
      }
      if (choice.logprobs)
        lines.push(
          `    logprobs: ${choice.logprobs.content?.length ?? 0} content, ${choice.logprobs.refusal?.length ?? 0} refusal`,
        );
    }
    const u = c.usage;
    lines.push(
      u
        ? `  usage: prompt ${u.prompt_tokens ?? '?'}, completion ${u.completion_tokens ?? '?'}, total ${u.total_tokens ?? '?'}`
        : '  usage: none reported',
    );
  }
  return lines.join('\n');
}

function preview(text: string, max = 120): string {
  const flat = JSON.stringify(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…"`;
}

/**
 * `rxchat inspect [--jsonl] [--protocol P] FILE...`: exit code 0 only if every file succeeded.
 */
export async function runInspect(args: string[], out: (line: string) => void): Promise<number> {
  const parsed = parseArgs(args, INSPECT_OPTIONS);
  const jsonl = parsed.flags.has('jsonl');
  const protocol = last(parsed, 'protocol');
  if (protocol !== undefined && !(INSPECT_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new UsageError(`--protocol must be chat or responses, not ${protocol}`);
  }
  const files = parsed.positional;
  if (files.length === 0) throw new UsageError('give one or more files (- for stdin)');
  let allOk = true;
  for (const file of files) {
    const result = await inspectFile(file, protocol as InspectProtocol | undefined);
    allOk &&= result.ok;
    out(jsonl ? JSON.stringify(result) : formatResult(result));
  }
  return allOk ? 0 : 1;
}
