import { catchError, firstValueFrom, map, of } from 'rxjs';
import {
  decodeSse,
  finalCompletion,
  parseChunks,
  RxChatError,
  type ChatCompletion,
  type RxChatErrorCode,
} from '../node';
import { parseArgs } from './args';
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
}

/** Runs one recorded SSE transcript through the same pipeline a live stream uses. */
export function inspectFile(file: string): Promise<InspectResult> {
  return firstValueFrom(
    readBytes(file).pipe(
      decodeSse(),
      parseChunks(),
      finalCompletion(),
      map((completion): InspectResult => ({ file, ok: true, completion, error: null })),
      catchError((error: unknown) => of(failure(file, error))),
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
  lines.push(`${result.file}: ${head}`);
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

/** `rxchat inspect [--jsonl] FILE...`: exit code 0 only if every file succeeded. */
export async function runInspect(args: string[], out: (line: string) => void): Promise<number> {
  const parsed = parseArgs(args, INSPECT_OPTIONS);
  const jsonl = parsed.flags.has('jsonl');
  const files = parsed.positional;
  if (files.length === 0) throw new UsageError('give one or more files (- for stdin)');
  let allOk = true;
  for (const file of files) {
    const result = await inspectFile(file);
    allOk &&= result.ok;
    out(jsonl ? JSON.stringify(result) : formatResult(result));
  }
  return allOk ? 0 : 1;
}
