// Reads the errors edge functions answer: `new HttpError(status, "code", "message")` (and its
// subclasses), literal `errorResponse(...)` calls and the other literal status/code pairs; and which
// functions can answer each (scripts/error-table.ts).
import { dirname, join } from "node:path";
import ts from "typescript";
import { CODE, type Problem } from "./sql-errors.ts";

/** One error an edge function answers. */
export interface FunctionError {
  file: string;
  line: number;
  status: number;
  code: string;
  message: string;
  /** Names of the object properties and methods it is written in, innermost first. */
  members: string[];
  /** The top-level declaration it is written in, if it has a name. */
  top: string | null;
  /** The edge functions that can answer it (set by collect). */
  functions?: string[];
}

export interface TsParse {
  errors: FunctionError[];
  /** Relative module paths this file imports (resolved against the functions directory). */
  imports: string[];
  /** Every identifier the file uses, and the names it reads as properties (`x.name`). */
  identifiers: Set<string>;
  properties: Set<string>;
  /** Its top-level declarations, with the identifiers each one uses. */
  decls: { name: string; uses: Set<string> }[];
  problems: Problem[];
}

/** Names of classes that extend HttpError (directly or not), over all the given sources. */
export function httpErrorClasses(sources: { file: string; text: string }[]): Set<string> {
  const parents = new Map<string, string>();
  for (const { file, text } of sources) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isClassDeclaration(node) && node.name) {
        for (const clause of node.heritageClauses ?? []) {
          if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
          const base = clause.types[0]?.expression;
          if (base && ts.isIdentifier(base)) parents.set(node.name.text, base.text);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const classes = new Set(["HttpError"]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parents) {
      if (classes.has(parent) && !classes.has(child)) {
        classes.add(child);
        grew = true;
      }
    }
  }
  return classes;
}

const literalText = (node: ts.Node | undefined): string | null =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : null;

/** A message as readers see it: a literal, a template with `…` for each `${}`, else null. */
function messageText(node: ts.Node | undefined): string | null {
  if (!node) return null;
  const literal = literalText(node);
  if (literal !== null) return literal;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => `…${s.literal.text}`).join("");
  }
  if (ts.isParenthesizedExpression(node)) return messageText(node.expression);
  return null;
}

const statusOf = (node: ts.Node | undefined): number | null =>
  node && ts.isNumericLiteral(node) ? Number(node.text) : null;

/** The name an arrow function or function expression is bound to (`const invalid = (m) => ...`). */
function boundName(fn: ts.Node): string | null {
  if (ts.isFunctionDeclaration(fn)) return fn.name?.text ?? null;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    return parent.name.text;
  }
  return null;
}

/** The property/method names around a node (innermost first) and its top-level declaration. */
function placeOf(node: ts.Node): { members: string[]; top: string | null } {
  const members: string[] = [];
  let top: string | null = null;
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    const isFunction = (n: ts.Node | undefined) =>
      !!n && (ts.isArrowFunction(n) || ts.isFunctionExpression(n));
    if (
      (ts.isMethodDeclaration(p) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) &&
          isFunction(p.initializer))) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))
    ) {
      members.push(p.name.text);
    }
    if (p.parent && ts.isSourceFile(p.parent)) top = declaredNames(p)[0] ?? null;
  }
  return { members, top };
}

/** The names a top-level statement declares. */
function declaredNames(statement: ts.Node): string[] {
  if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
    return [statement.name.text];
  }
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) =>
      ts.isIdentifier(d.name) ? [d.name.text] : []
    );
  }
  return [];
}

function identifiersIn(node: ts.Node, into = new Set<string>()): Set<string> {
  if (ts.isIdentifier(node)) into.add(node.text);
  ts.forEachChild(node, (child) => {
    identifiersIn(child, into);
  });
  return into;
}

/** Every literal error code an edge-function source file answers with. */
export function parseFunctionSource(
  text: string,
  file: string,
  classes: Set<string> = new Set(["HttpError"]),
): TsParse {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const errors: FunctionError[] = [];
  const problems: Problem[] = [];
  const imports: string[] = [];
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const add = (node: ts.Node, status: number, code: string, message: string) => {
    if (!CODE.test(code)) {
      problems.push({
        file,
        line: lineOf(node),
        message: `not a snake_case error code: "${code}"`,
      });
      return;
    }
    const { members, top } = placeOf(node);
    errors.push({ file, line: lineOf(node), status, code, message, members, top });
  };

  // Calls of local helpers, by name, for messages passed through a parameter.
  const callsByName = new Map<string, ts.CallExpression[]>();
  const collectCalls = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const list = callsByName.get(node.expression.text) ?? [];
      list.push(node);
      callsByName.set(node.expression.text, list);
    }
    ts.forEachChild(node, collectCalls);
  };
  collectCalls(sf);

  /** Messages of an argument: a literal, or, for a parameter of a named helper, its callers' literals. */
  const messages = (node: ts.Node | undefined): string[] => {
    const direct = messageText(node);
    if (direct !== null) return [direct];
    if (node && ts.isConditionalExpression(node)) {
      return [...messages(node.whenTrue), ...messages(node.whenFalse)];
    }
    if (node && ts.isIdentifier(node)) {
      for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
        if (!ts.isArrowFunction(p) && !ts.isFunctionDeclaration(p) && !ts.isFunctionExpression(p)) {
          continue;
        }
        const index = p.parameters.findIndex((q) =>
          ts.isIdentifier(q.name) && q.name.text === node.text
        );
        const name = boundName(p);
        if (index < 0 || !name) break;
        const found = (callsByName.get(name) ?? []).map((c) => messageText(c.arguments[index]));
        if (found.length > 0 && found.every((f) => f !== null)) return found as string[];
        break;
      }
    }
    return ["…"];
  };

  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text.startsWith(".")
    ) {
      imports.push(join(dirname(file), node.moduleSpecifier.text));
    }
    // new HttpError(status, "code", "message", ...) and its subclasses.
    if (
      ts.isNewExpression(node) && ts.isIdentifier(node.expression) &&
      classes.has(node.expression.text)
    ) {
      const [s, c, msg] = node.arguments ?? [];
      const status = statusOf(s);
      const code = literalText(c);
      if (status === null || code === null) {
        problems.push({
          file,
          line: lineOf(node),
          message:
            `new ${node.expression.text}(...) needs a literal status and a string-literal code ` +
            "(pass on a code you don't write, such as a database error's, with errorResponse)",
        });
      } else {
        for (const message of messages(msg)) add(node, status, code, message);
      }
    }
    // errorResponse(status, "code", "message", ...) with literals (forwarding calls are skipped).
    if (
      ts.isCallExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "errorResponse"
    ) {
      const [s, c, msg] = node.arguments;
      const status = statusOf(s);
      const code = literalText(c);
      if (status !== null && code !== null) {
        for (const message of messages(msg)) add(node, status, code, message);
      }
    }
    // [status, "code", "message"]: a status/code/message triple returned by a mapping function.
    if (ts.isArrayLiteralExpression(node) && node.elements.length === 3) {
      const [s, c, msg] = node.elements;
      const status = statusOf(s);
      const code = literalText(c);
      if (status !== null && status >= 400 && status < 600 && code !== null && CODE.test(code)) {
        add(node, status, code, messageText(msg) ?? "…");
      }
    }
    if (ts.isObjectLiteralExpression(node)) {
      const props = new Map<string, ts.Expression>();
      for (const p of node.properties) {
        if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
          props.set(p.name.text, p.initializer);
        }
      }
      const code = literalText(props.get("code"));
      const message = messageText(props.get("message"));
      if (code !== null && message !== null) {
        // json({ error: { code, message } }, status): an error body written out.
        const holder = node.parent;
        const body = holder?.parent;
        const call = body?.parent;
        if (
          holder && ts.isPropertyAssignment(holder) && ts.isIdentifier(holder.name) &&
          holder.name.text === "error" && body && ts.isObjectLiteralExpression(body) && call &&
          ts.isCallExpression(call) && call.arguments[0] === body
        ) {
          const status = statusOf(call.arguments[1]);
          if (status !== null) add(node, status, code, message);
        }
        // A Service (config.ts): toResponse answers 503 with its code while it is not set up.
        const decl = node.parent;
        if (
          decl && ts.isVariableDeclaration(decl) && decl.type &&
          ts.isTypeReferenceNode(decl.type) && ts.isIdentifier(decl.type.typeName) &&
          decl.type.typeName.text === "Service"
        ) {
          add(node, 503, code, message);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const properties = new Set<string>();
  const collectProperties = (node: ts.Node) => {
    if (ts.isPropertyAccessExpression(node)) properties.add(node.name.text);
    ts.forEachChild(node, collectProperties);
  };
  collectProperties(sf);
  const decls = sf.statements.flatMap((st) =>
    declaredNames(st).map((name) => ({ name, uses: identifiersIn(st) }))
  );
  return { errors, imports, identifiers: identifiersIn(sf), properties, decls, problems };
}

/**
 * Which edge functions can answer an error, by following names from where it is written to the
 * functions' own code. An error in a function's folder is that function's. One in `_shared/` is
 * answered by the functions that can reach it: those that read the property or method it is in
 * (`auth.requireService`), else those that use its top-level declaration, or a shared declaration
 * that uses it (`handle` uses `toResponse`), and so on; failing that, every function importing the
 * module.
 */
export function functionAttribution(
  parsed: Map<string, TsParse>,
  functionNames: string[],
): (e: FunctionError) => string[] {
  const closure = new Map<string, Set<string>>();
  for (const name of functionNames) {
    const seen = new Set<string>();
    const queue = [`${name}/index.ts`];
    while (queue.length > 0) {
      const rel = queue.pop()!;
      if (seen.has(rel)) continue;
      seen.add(rel);
      queue.push(...(parsed.get(rel)?.imports ?? []));
    }
    closure.set(name, seen);
  }
  const own = (name: string) => [...parsed.keys()].filter((rel) => rel.startsWith(`${name}/`));
  const reaches = (name: string, module: string) => closure.get(name)!.has(module);
  const readers = (module: string, test: (p: TsParse) => boolean) =>
    functionNames.filter((f) => reaches(f, module) && own(f).some((rel) => test(parsed.get(rel)!)));
  const shared = [...parsed.entries()].filter(([rel]) => rel.startsWith("_shared/"));

  return (e) => {
    const module = e.file;
    if (!module.startsWith("_shared/")) return [module.split("/")[0]];
    for (const member of e.members) {
      const found = readers(module, (p) => p.properties.has(member));
      if (found.length > 0) return found;
    }
    const found = new Set<string>();
    if (e.top) {
      const seen = new Set<string>([`${module}#${e.top}`]);
      let level: [string, string][] = [[module, e.top]];
      while (level.length > 0) {
        const next: [string, string][] = [];
        for (const [file, name] of level) {
          readers(file, (p) => p.identifiers.has(name)).forEach((f) => found.add(f));
          for (const [rel, p] of shared) {
            if (rel !== file && !p.imports.includes(file)) continue;
            for (const d of p.decls) {
              const key = `${rel}#${d.name}`;
              if (d.name === name || !d.uses.has(name) || seen.has(key)) continue;
              seen.add(key);
              next.push([rel, d.name]);
            }
          }
        }
        level = next;
      }
    }
    if (found.size > 0) return [...found].sort();
    return functionNames.filter((f) => reaches(f, module));
  };
}
