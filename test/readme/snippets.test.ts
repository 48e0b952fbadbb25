// Every ```ts block of README.md type-checks against the source, as a module of its own, with
// `rxchat`, `rxchat/node`, `rxchat/testing`, `rxchat/mock-server` and `rxchat/angular` mapped to
// src/. A block that uses names it does not declare (`client`, `request`, `output`) gets them
// from an HTML comment just above it, which GitHub does not show:
//
//   <!-- snippet-context: declare const output: HTMLElement; -->
//
// The context is TypeScript put before the block (imports included); it may span lines. One
// program checks every block, so the whole file takes a few seconds.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Snippet {
  /** The README line of the block's first line of code (1-based). */
  line: number;
  /** A virtual file beside this test (so that node_modules resolve as for a test). */
  fileName: string;
  /** The context, then the block. */
  text: string;
  /** How many lines of `text` the context takes. */
  contextLines: number;
}

/** The ```ts blocks of the README and the context comment just above each, if any. */
function snippetsOf(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const block = /(?:<!--\s*snippet-context:((?:(?!-->)[\s\S])*)-->\s*\n)?^```ts\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(block)) {
    const context = (match[1] ?? '').trim();
    const code = match[2]!;
    const codeStart = match.index + match[0].indexOf('```ts\n') + '```ts\n'.length;
    const line = markdown.slice(0, codeStart).split('\n').length;
    const prefix = context ? `${context}\n` : '';
    snippets.push({
      line,
      fileName: join(__dirname, `readme-line-${line}.ts`),
      text: prefix + code,
      contextLines: prefix.split('\n').length - 1,
    });
  }
  return snippets;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const src = (path: string) => [join(root, 'src', path)];
  return {
    ...options,
    noEmit: true,
    // Each block is a module of its own, with or without imports.
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: {
      rxchat: src('index.ts'),
      'rxchat/node': src('node.ts'),
      'rxchat/testing': src('testing/index.ts'),
      'rxchat/mock-server': src('mock-server/index.ts'),
      'rxchat/angular': src('angular/index.ts'),
    },
  };
}

const snippets = snippetsOf(readme);

/** The diagnostics of every block, by file name, from one program. */
const diagnostics = (() => {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const virtual = new Map(snippets.map((s) => [s.fileName, s.text]));
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const text = virtual.get(fileName);
    return text === undefined
      ? getSourceFile.call(host, fileName, languageVersion, ...rest)
      : ts.createSourceFile(fileName, text, languageVersion, true);
  };
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => virtual.get(fileName) ?? readFile.call(host, fileName);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const byFile = new Map<string, readonly ts.Diagnostic[]>();
  for (const snippet of snippets) {
    const file = program.getSourceFile(snippet.fileName)!;
    byFile.set(snippet.fileName, [
      ...program.getSyntacticDiagnostics(file),
      ...program.getSemanticDiagnostics(file),
    ]);
  }
  return byFile;
})();

/** A diagnostic as `README.md:LINE: message`, or `context: message` for the comment's code. */
function located(snippet: Snippet, diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined || diagnostic.start === undefined) return message;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return line < snippet.contextLines
    ? `snippet-context above README.md:${snippet.line}: ${message}`
    : `README.md:${snippet.line + line - snippet.contextLines}: ${message}`;
}

it('finds every ts block of the README, and each context comment', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(12);
  expect(snippets).toHaveLength(readme.match(/^```ts$/gm)!.length);
  const contexts = readme.match(/^<!--\s*snippet-context:/gm)?.length ?? 0;
  expect(snippets.filter((s) => s.contextLines > 0)).toHaveLength(contexts);
});

it.each(snippets.map((snippet) => [snippet.line, snippet] as const))(
  'the block at README.md:%i compiles',
  (_line, snippet) => {
    const problems = diagnostics.get(snippet.fileName)!.map((d) => located(snippet, d));
    expect(problems).toEqual([]);
  },
);
