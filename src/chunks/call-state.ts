/** One tool call being merged. Read by {@link toolCalls} for its progress, and by the Responses fold, which keeps its calls in this shape too. */
export interface CallState {
  id: string;
  /** The `index` the call streams under; `undefined` while none came with it. */
  index: number | undefined;
  /** `'custom'` once any fragment said so (`type: 'custom'` or a `custom` object). */
  kind: 'function' | 'custom';
  name: string;
  /** `function.arguments` or `custom.input`, concatenated. */
  args: string;
}
