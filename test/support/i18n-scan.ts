import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Finds user-visible text written in the code instead of the catalogues: string literals and
 * template text that read as prose (two words or more), and any text with a capital letter or
 * a space given to a Discord display field (`content`, `label`, `placeholder`, `title`,
 * `description`, `name`, `value`, `text`) or to a builder's setter. What an operator or a log
 * reads is exempt: logger calls, `console`, internal `…Error` constructors (not `UserError`),
 * module specifiers and literal types. A line (or the line above it) marked
 * `// i18n-exempt: <why>` is skipped too, so each exception says why.
 *
 * Run it on files to list what is left: `npx tsx test/support/i18n-scan.ts <files…>`.
 */
export interface Finding {
  file: string;
  line: number;
  text: string;
}

const PROSE = /\p{L}{2,}[,.:;!?'’)]*\s+[(“"']*\p{L}{2,}/u;
/** Markup, URLs and paths, catalogue keys and locale tags: text, but no one's reading. */
const NOT_WORDS = /^(<|\/|https?:)|^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9_]+)+$|^[a-z]{2}(-[A-Z0-9]{2,3})?$|^[a-z]+\/[\w*+.-]+(,\s*[a-z]+\/[\w*+.-]+)*$/;
const DISPLAY_FIELDS = new Set(['content', 'label', 'placeholder', 'title', 'description', 'name', 'value', 'text']);
const DISPLAY_SETTERS = /^set(Label|Placeholder|Title|Description|Content|Name|Value)$/;
const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

function calleeName(call: ts.CallExpression | ts.NewExpression): { object?: string; name: string } | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return { name: callee.text };
  if (ts.isPropertyAccessExpression(callee)) return { object: callee.expression.getText(), name: callee.name.text };
  return undefined;
}

function extendsInternalError(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isClassLike(at)) {
      const base = at.heritageClauses?.flatMap((h) => h.types.map((t) => t.expression.getText())) ?? [];
      return base.some((b) => /Error$/.test(b) && b !== 'UserError');
    }
  }
  return false;
}

/** Whether the literal sits where only an operator or a developer reads it. */
function exemptContext(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isImportDeclaration(at) || ts.isExportDeclaration(at) || ts.isImportTypeNode(at) || ts.isLiteralTypeNode(at)) return true;
    if (ts.isCallExpression(at)) {
      const callee = calleeName(at);
      if (callee && LOG_METHODS.has(callee.name) && callee.object !== undefined) return true;
      if (callee?.object === 'console') return true;
      if (ts.isIdentifier(at.expression) && at.expression.text === 'import') return true;
      if (at.expression.kind === ts.SyntaxKind.SuperKeyword && extendsInternalError(at)) return true;
    }
    if (ts.isNewExpression(at)) {
      const callee = calleeName(at);
      if (callee && /Error$/.test(callee.name) && callee.name !== 'UserError') return true;
    }
    if (ts.isFunctionLike(at) || ts.isSourceFile(at)) return false;
  }
  return false;
}

function displayPosition(node: ts.Node): boolean {
  const parent = node.parent;
  if (ts.isPropertyAssignment(parent) && parent.initializer === node) {
    const key = parent.name;
    const name = ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : '';
    return DISPLAY_FIELDS.has(name);
  }
  if (ts.isCallExpression(parent)) {
    const callee = calleeName(parent);
    return callee !== undefined && DISPLAY_SETTERS.test(callee.name);
  }
  return false;
}

export function scanSource(file: string, source = readFileSync(file, 'utf8')): Finding[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const lines = source.split('\n');
  const exemptLine = (line: number) => /i18n-exempt:/.test(lines[line] ?? '') || /i18n-exempt:/.test(lines[line - 1] ?? '');
  const out: Finding[] = [];
  const report = (node: ts.Node, text: string) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
    if (!exemptLine(line)) out.push({ file, line: line + 1, text });
  };
  const visit = (node: ts.Node): void => {
    let text: string | undefined;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' … ');
    if (text !== undefined && !exemptContext(node) && !NOT_WORDS.test(text)) {
      const visibleField = displayPosition(node) && /[A-Z\s]|[^\p{ASCII}]/u.test(text) && /\p{L}/u.test(text);
      if (PROSE.test(text) || visibleField) report(node, text);
      if (ts.isTemplateExpression(node)) {
        // The substitutions may hold literals of their own.
        node.templateSpans.forEach((s) => visit(s.expression));
      }
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const findings = process.argv.slice(2).flatMap((f) => scanSource(f));
  for (const f of findings) console.log(`${f.file}:${f.line}: ${JSON.stringify(f.text)}`);
  console.log(`${findings.length} literal(s)`);
}
