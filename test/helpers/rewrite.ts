/*
 * Rewrites a recorded SSE body in the ways the SSE specification allows (the meaning must not
 * change) and breaks it in the ways servers break streams. The events are read with a small
 * reader of our own that understands the recordings' plain `field: value` lines.
 */

export interface WireEvent {
  event?: string;
  data: string;
}

/** The events and comments of a body, in order (comments as `{ comment }`). */
export function readEvents(text: string): (WireEvent | { comment: string })[] {
  const out: (WireEvent | { comment: string })[] = [];
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (const block of body.split(/\r\n\r\n|\n\n|\r\r/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\r|\n/)) {
      if (line === '') continue;
      if (line.startsWith(':')) out.push({ comment: line.slice(1).replace(/^ /, '') });
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else if (line.startsWith('event:')) event = line.slice(6).replace(/^ /, '');
    }
    if (data.length)
      out.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
  }
  return out;
}

export interface Rewrite {
  eol?: '\n' | '\r' | '\r\n';
  bom?: boolean;
  /** Insert a comment line before every field line and between events. */
  comments?: boolean;
  /** Split JSON data into several `data:` lines after commas outside strings. */
  splitData?: boolean;
  /** Add `event: message` to events without a type. */
  eventMessage?: boolean;
  ids?: boolean;
  noSpace?: boolean;
}

/** Positions just after a `,` that is outside any JSON string. */
function commaSplits(json: string): number[] {
  const points: number[] = [];
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === ',') points.push(i + 1);
  }
  return points;
}

export function writeEvents(
  events: (WireEvent | { comment: string })[],
  options: Rewrite = {},
): string {
  const eol = options.eol ?? '\n';
  const sep = options.noSpace ? ':' : ': ';
  let n = 0;
  let out = options.bom ? '\ufeff' : '';
  for (const item of events) {
    if ('comment' in item) {
      out += `:${item.comment ? ` ${item.comment}` : ''}${eol}${eol}`;
      continue;
    }
    const lines: string[] = [];
    if (options.comments) lines.push(': keep-alive');
    if (item.event !== undefined) lines.push(`event${sep}${item.event}`);
    else if (options.eventMessage) lines.push(`event${sep}message`);
    if (options.ids) lines.push(`id${sep}${++n}`);
    let parts = [item.data];
    if (options.splitData && item.data.startsWith('{')) {
      const points = commaSplits(item.data).filter((_p, i) => i % 3 === 0);
      parts = [];
      let start = 0;
      for (const p of points) {
        parts.push(item.data.slice(start, p));
        start = p;
      }
      parts.push(item.data.slice(start));
    }
    for (const part of parts) {
      if (options.comments) lines.push(':');
      // A data value that starts with a space keeps it only behind the optional space.
      lines.push(`data${part.startsWith(' ') ? ': ' : sep}${part}`);
    }
    out += lines.join(eol) + eol + eol;
    if (options.comments) out += `: ping${eol}${eol}`;
  }
  return out;
}
