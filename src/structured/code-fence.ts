import { RxChatError } from '../errors';

const BACKTICK = 0x60;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Lets through the JSON of an answer that may be wrapped in a Markdown code fence (```` ```json
 * ```` … ```` ``` ````), as models often write it, streaming: the opening fence and its language
 * tag are dropped, and, inside a fence, a tail of backticks and whitespace is held until what
 * follows shows whether it is the closing fence (dropped at the end) or part of the JSON (passed
 * on). Only a fence is tolerated: any other text before the JSON, or after it, reaches the JSON
 * parser, which fails on it.
 */
export class FencedJson {
  private state: 'start' | 'opening' | 'tag' | 'body' = 'start';
  private fenced = false;
  private ticks = 0;
  /** Inside a fence: the trailing backticks and whitespace not passed on yet. */
  private held = '';

  constructor(private readonly json: (text: string) => void) {}

  /** The next piece of the answer. */
  push(text: string): void {
    let i = 0;
    while (this.state !== 'body' && i < text.length) {
      const c = text.charCodeAt(i);
      if (this.state === 'start') {
        if (isSpace(c)) i++;
        else if (c === BACKTICK) this.state = 'opening';
        else this.state = 'body';
      } else if (this.state === 'opening') {
        if (c !== BACKTICK) throw notAFence();
        i++;
        if (++this.ticks === 3) {
          this.state = 'tag';
          this.fenced = true;
        }
      } else {
        // The language tag (`json`, nothing, …) runs to the end of the fence's line.
        i++;
        if (c === 0x0a) this.state = 'body';
        else if (!/[\w+.\- \t\r]/.test(text[i - 1]!)) throw notAFence();
      }
    }
    if (i >= text.length) return;
    const rest = i === 0 ? text : text.slice(i);
    if (!this.fenced) return this.json(rest);
    const all = this.held + rest;
    let end = all.length;
    while (end > 0 && (all.charCodeAt(end - 1) === BACKTICK || isSpace(all.charCodeAt(end - 1))))
      end--;
    this.held = all.slice(end);
    if (end > 0) this.json(all.slice(0, end));
  }

  /** The answer is over: a held closing fence is dropped; anything else held is passed on. */
  end(): void {
    if (this.state === 'opening' || this.state === 'tag') throw notAFence();
    const held = this.held;
    this.held = '';
    // The closing fence, or whitespace: a fence left open by a cut answer fails in the parser.
    if (/^\s*(```\s*)?$/.test(held)) return;
    this.json(held);
  }
}

function notAFence(): RxChatError {
  return new RxChatError(
    'parse_error',
    'The answer starts with a backtick but not with a Markdown code fence (```json): it is not JSON',
    { retryable: false },
  );
}
