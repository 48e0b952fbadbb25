// The browser's two calls to a relay besides reading: start a run (`POST {prefix}/runs`) and stop
// it (`POST …/stop`), as cold Observables on the same transports as every other request.
import { map, Observable, switchMap } from 'rxjs';
import { createHttpRequest, secretsOf } from '../client/secrets';
import { isRecord, RxChatError } from '../errors';
import { httpError } from '../response/http-error';
import { readText } from '../response/read-text';
import { fetchTransport } from '../transport/fetch';
import { callTransport } from '../transport/transport-response';
import type { ChatTransport } from '../transport/types';

/** Options of {@link startRelayRun} and {@link stopRelayRun}. */
export interface RelayCallOptions {
  /** The transport that sends the POST. Default `fetchTransport()`. */
  transport?: ChatTransport;
  /** Extra request headers (an `authorization`, …); secret ones are redacted from errors. */
  headers?: Record<string, string>;
}

/** Options of {@link startRelayRun}. */
export interface StartRelayRunOptions extends RelayCallOptions {
  /**
   * The run's `Idempotency-Key` (16 to 128 letters, digits, `-`, `_`; e.g.
   * `crypto.randomUUID()`), saved by the page before it calls: starting again with the same key
   * (after a reload that came before the answer) gets the run the first call started.
   */
  key?: string;
}

/** A started run, as {@link startRelayRun} gives it. */
export interface RelayRunLinks {
  /** The run's id (its key, when one was given). */
  id: string;
  /** The run's events, an absolute URL for {@link relayStream} or {@link relayEntries}. */
  events: string;
  /** The URL that stops it, for {@link stopRelayRun}. */
  stop: string;
  /** True when the key's run existed already (the relay answered 200, starting nothing). */
  existing: boolean;
}

/** How much of an answer is read: the relay's answers are small JSON objects. */
const ANSWER_CHARS = 64 * 1024;

/** POSTs `body` as JSON and emits the answer's JSON; a non-2xx answer fails with `http_error`. */
function postJson(
  url: string,
  body: unknown,
  options: RelayCallOptions,
  extraHeaders: Record<string, string>,
): Observable<{ status: number; json: unknown }> {
  const headers = {
    accept: 'application/json',
    'content-type': 'application/json',
    ...extraHeaders,
    ...options.headers,
  };
  const secrets = secretsOf(undefined, headers, url);
  const request = createHttpRequest('POST', url, headers, JSON.stringify(body ?? {}), secrets);
  return callTransport(options.transport ?? fetchTransport(), request).pipe(
    switchMap((response) =>
      readText(response.body, ANSWER_CHARS).pipe(
        map((text) => {
          if (response.status < 200 || response.status > 299) {
            throw httpError(response.status, response.headers, text);
          }
          try {
            return { status: response.status, json: JSON.parse(text.text) as unknown };
          } catch {
            throw new RxChatError('parse_error', 'The relay did not answer with JSON', {
              data: text.text.slice(0, 200),
            });
          }
        }),
      ),
    ),
  );
}

/**
 * Starts a run on a relay (`POST {prefix}/runs` of `rxchat/relay` with a `start` hook): sends
 * `body` (a chat request, say) as JSON and emits the run's id and absolute URLs, then completes.
 * Cold: each subscription sends one POST; unsubscribing early aborts it (the run may have
 * started: give a `key` and start again to find it). A non-2xx answer fails with an
 * `http_error` carrying the relay's error.
 *
 * @example
 * ```ts
 * import { contentDeltas, relayStream, startRelayRun } from 'rxchat';
 *
 * const key = crypto.randomUUID();
 * sessionStorage.setItem('pending-run', key); // a reload before the answer starts nothing new
 * startRelayRun('/api/relay/runs', { messages }, { key })
 *   .pipe(switchMap((run) => relayStream(run.events)), contentDeltas())
 *   .subscribe((text) => (output.textContent += text));
 * ```
 */
export function startRelayRun(
  runsUrl: string,
  body: unknown,
  options: StartRelayRunOptions = {},
): Observable<RelayRunLinks> {
  const extra: Record<string, string> = options.key ? { 'idempotency-key': options.key } : {};
  return postJson(runsUrl, body, options, extra).pipe(
    map(({ status, json }) => {
      const { id, events, stop } = isRecord(json) ? json : {};
      if (typeof id !== 'string' || typeof events !== 'string' || typeof stop !== 'string') {
        throw new RxChatError('validation_error', 'The relay did not answer with a run', {
          data: JSON.stringify(json).slice(0, 200),
        });
      }
      const base = new URL(runsUrl, globalThis.location?.href);
      return {
        id,
        events: new URL(events, base).href,
        stop: new URL(stop, base).href,
        existing: status === 200,
      };
    }),
  );
}

/**
 * Stops a relayed run (`POST …/stop`, the `stop` URL of {@link startRelayRun}): the relay stops
 * the run's upstream, wherever it runs, and every reader gets the end. Emits `true` if this call
 * stopped it, `false` if it had ended already, then completes.
 *
 * @example
 * ```ts
 * stopButton.onclick = () => stopRelayRun(run.stop).subscribe();
 * ```
 */
export function stopRelayRun(stopUrl: string, options: RelayCallOptions = {}): Observable<boolean> {
  return postJson(stopUrl, {}, options, {}).pipe(
    map(({ json }) => isRecord(json) && json.stopped === true),
  );
}
