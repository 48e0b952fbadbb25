/*
 * Which Responses events are output. The lifecycle events (`response.created`, `.queued`,
 * `.in_progress`), `keepalive`, and the failure events (`error`, `response.failed`) carry no part
 * of the answer: a retry after them repeats nothing the user saw, the same rule as for chat's
 * `response` event and early error frames. Everything else, unknown event types included, is
 * output (a retry after it could show something twice).
 */
const NOT_OUTPUT: ReadonlySet<string> = new Set([
  'response.created',
  'response.queued',
  'response.in_progress',
  'keepalive',
  'error',
  'response.failed',
]);

/** Whether a Responses event of this type is output (see above). */
export const isResponsesOutput = (type: string): boolean => !NOT_OUTPUT.has(type);

/** `keepalive` events prove only that the connection lives, not that the model does. */
export const isKeepalive = (type: string): boolean => type === 'keepalive';
