/**
 * @module
 * Loads the ARM template compiled from `infra/main.bicep` (`.tools/arm/main.json`) and evaluates
 * the statically knowable part of it: nested module deployments are walked, and a small ARM
 * expression evaluator resolves literals, `variables()`, module `parameters()`, `createObject`,
 * `union`, `if` (both branches), `format` and `concat`. Anything else stays an opaque `Expr`.
 * Compiles the template first (through `scripts/infra/bicep.sh`) when it is missing or older
 * than a Bicep source; `template` is undefined when that fails (see `skipInfra`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const root = join(__dirname, '..', '..');
const compiledPath = join(root, '.tools', 'arm', 'main.json');

// biome-ignore lint/suspicious/noExplicitAny: ARM JSON is untyped by nature.
export type Json = any;

/** A value that cannot be known before deployment; `text` is its source (or a format pattern). */
export class Expr {
  constructor(readonly text: string) {}
}
export type Value = Json | Expr;

function bicepSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? bicepSources(join(dir, e.name))
      : /\.(bicep|json)$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

function bicep(args: string[]) {
  return spawnSync('bash', ['scripts/infra/bicep.sh', ...args], { cwd: root, encoding: 'utf8' });
}

function compile(): { template?: Json; reason?: string; cliMissing?: boolean } {
  const stale =
    !existsSync(compiledPath) ||
    bicepSources(join(root, 'infra')).some((f) => statSync(f).mtimeMs > statSync(compiledPath).mtimeMs);
  if (stale) {
    if (bicep(['--version']).status !== 0) return { reason: 'no Bicep CLI available', cliMissing: true };
    // Build beside the target and rename: test files run in parallel processes.
    mkdirSync(dirname(compiledPath), { recursive: true });
    const tmp = `${compiledPath}.${process.pid}.tmp`;
    const run = bicep(['build', 'infra/main.bicep', '--outfile', tmp]);
    if (run.status !== 0) return { reason: `bicep build failed:\n${run.stderr.trim()}` };
    renameSync(tmp, compiledPath);
  }
  return { template: JSON.parse(readFileSync(compiledPath, 'utf8')) };
}

const compiled = compile();
/** The compiled template; undefined when it could not be built. */
const template: Json | undefined = compiled.template;
const unavailableReason = compiled.reason ?? '';
/** Skip only for a missing Bicep CLI outside CI; a failed build or CI=true fails the tests. */
const inCI = Boolean(process.env.CI) && process.env.CI !== 'false';
export const skipInfra = Boolean(compiled.cliMissing) && !inCI;
if (skipInfra) console.warn(`test/infra skipped: ${unavailableReason} (CI=true makes this a failure)`);

export function requireTemplate(): Json {
  if (!template) throw new Error(`No compiled template: ${unavailableReason}`);
  return template;
}

/** One template in the tree: the main one or a module's inline template. */
export interface Scope {
  path: string;
  template: Json;
  /** Raw parameter entries the parent deployment passes: `{ value }` or an expression of the parent. */
  passed: Record<string, Json>;
  parent?: Scope;
  /**
   * Values of the main template's parameters for one deployment (`given`); when set, the main
   * template's `parameters()` resolve to them or to their literal defaults, and `if` picks its
   * branch when its condition is known.
   */
  given?: Record<string, Json>;
}

export interface Located {
  scope: Scope;
  resource: Json;
}

function resourcesOf(t: Json): Json[] {
  return Array.isArray(t.resources) ? t.resources : Object.values(t.resources ?? {});
}

/** Every template scope, depth first, starting with the main template (deployed with `given`, if any). */
export function scopes(main: Json = requireTemplate(), given?: Record<string, Json>): Scope[] {
  const out: Scope[] = [];
  const visit = (s: Scope) => {
    out.push(s);
    for (const r of resourcesOf(s.template)) {
      if (r.type === 'Microsoft.Resources/deployments' && r.properties?.template) {
        const passed: Record<string, Json> = r.properties.parameters ?? {};
        visit({
          path: `${s.path}/${evaluateOne(r.name, s)}`,
          template: r.properties.template,
          passed,
          parent: s,
          given: s.given,
        });
      }
    }
  };
  visit({ path: '', template: main, passed: {}, given });
  return out;
}

/** Every declared (not `existing`) resource of a type in the whole tree, modules included. */
export function resourcesOfType(type: string, main?: Json): Located[] {
  return scopes(main).flatMap((scope) =>
    resourcesOf(scope.template)
      .filter((r) => !r.existing && r.type?.toLowerCase() === type.toLowerCase())
      .map((resource) => ({ scope, resource })),
  );
}

export function scopeNamed(name: string, main?: Json): Scope {
  const found = scopes(main).find((s) => s.path === `/${name}`);
  if (!found) throw new Error(`no module deployment named ${name}`);
  return found;
}

/** ARM's comparison and logic functions on known values; undefined when any value is unknown. */
function logic(name: string, vals: Value[]): boolean | undefined {
  if (vals.some((v) => v instanceof Expr)) return undefined;
  switch (name) {
    case 'equals':
      return JSON.stringify(vals[0]) === JSON.stringify(vals[1]);
    case 'and':
      return vals.every((v) => v === true);
    case 'or':
      return vals.some((v) => v === true);
    case 'not':
      return vals[0] !== true;
    case 'empty':
      return (
        vals[0] === '' ||
        vals[0] === null ||
        (typeof vals[0] === 'object' && Object.keys(vals[0]).length === 0)
      );
    case 'bool':
      return vals[0] === true || String(vals[0]).toLowerCase() === 'true';
    default:
      return undefined;
  }
}

/**
 * Whether a resource or module of `scope` is deployed: its `condition` (none: always), when
 * knowable; undefined when not.
 */
export function deployed(resource: Json, scope: Scope): boolean | undefined {
  if (resource.condition === undefined) return true;
  const values = evaluate(resource.condition, scope);
  return values.length === 1 && typeof values[0] === 'boolean' ? values[0] : undefined;
}

// ---------- ARM expression parsing ----------

type Node =
  | { kind: 'str'; value: string }
  | { kind: 'num'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'prop'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

function isExpression(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith('[') && !v.startsWith('[[') && v.endsWith(']');
}

function parseExpression(source: string): Node {
  const s = source.slice(1, -1);
  let i = 0;
  const ws = () => {
    while (s[i] === ' ') i++;
  };
  const expect = (c: string) => {
    ws();
    if (s[i] !== c) throw new Error(`expected "${c}" at ${i} in ${source}`);
    i++;
  };
  const primary = (): Node => {
    ws();
    if (s[i] === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new Error(`unterminated string in ${source}`);
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += s[i++];
      }
      return { kind: 'str', value };
    }
    const num = /^-?\d+/.exec(s.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'num', value: Number(num[0]) };
    }
    const id = /^[A-Za-z_][\w.]*/.exec(s.slice(i));
    if (!id) throw new Error(`unexpected "${s[i]}" at ${i} in ${source}`);
    i += id[0].length;
    expect('(');
    const args: Node[] = [];
    ws();
    if (s[i] === ')') i++;
    else {
      for (;;) {
        args.push(postfix());
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: id[0].toLowerCase(), args };
  };
  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      ws();
      if (s[i] === '.') {
        i++;
        const id = /^[A-Za-z_$][\w$]*/.exec(s.slice(i));
        if (!id) throw new Error(`bad property at ${i} in ${source}`);
        i += id[0].length;
        node = { kind: 'prop', target: node, name: id[0] };
      } else if (s[i] === '[') {
        i++;
        const index = postfix();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = postfix();
  ws();
  if (i !== s.length) throw new Error(`trailing input at ${i} in ${source}`);
  return node;
}

// ---------- evaluation to the set of possible values ----------

/** Possible values of a template value (`if` gives both branches), expressions evaluated. */
export function evaluate(value: Json, scope: Scope): Value[] {
  if (!isExpression(value)) return [value];
  return evalNode(parseExpression(value), scope);
}

/** The single possible value (an `Expr` when unknown), or an `Expr` of the source when ambiguous. */
export function evaluateOne(value: Json, scope: Scope): Value {
  const all = evaluate(value, scope);
  return all.length === 1 ? all[0] : new Expr(String(value));
}

const unknown = (n: Node): Value[] => [new Expr(JSON.stringify(n))];

function cartesian(lists: Value[][]): Value[][] {
  return lists.reduce<Value[][]>((acc, list) => acc.flatMap((a) => list.map((v) => [...a, v])), [[]]);
}

function evalNode(n: Node, scope: Scope): Value[] {
  switch (n.kind) {
    case 'str':
    case 'num':
      return [n.value];
    case 'prop':
      return evalNode(n.target, scope).flatMap((t) =>
        t !== null && typeof t === 'object' && !(t instanceof Expr) && n.name in t
          ? evaluate(t[n.name], scope)
          : unknown(n),
      );
    case 'index':
      return evalNode(n.target, scope).flatMap((t) => {
        if (Array.isArray(t)) {
          const idx = evalNode(n.index, scope);
          if (idx.length === 1 && typeof idx[0] === 'number') return evaluate(t[idx[0]], scope);
          return t.flatMap((e) => evaluate(e, scope)); // copyIndex() etc.: every element
        }
        return unknown(n);
      });
    case 'call':
      return evalCall(n, scope);
  }
}

function evalCall(n: Extract<Node, { kind: 'call' }>, scope: Scope): Value[] {
  const args = () => n.args.map((a) => evalNode(a, scope));
  switch (n.name) {
    case 'variables': {
      const name = n.args[0]?.kind === 'str' ? n.args[0].value : undefined;
      const vars = scope.template.variables ?? {};
      return name !== undefined && name in vars ? evaluate(vars[name], scope) : unknown(n);
    }
    case 'parameters': {
      const name = n.args[0]?.kind === 'str' ? n.args[0].value : undefined;
      if (name === undefined) return unknown(n);
      if (!scope.parent && scope.given) {
        if (name in scope.given) return [scope.given[name]];
        const fallback = scope.template.parameters?.[name]?.defaultValue;
        if (fallback !== undefined) return evaluate(fallback, scope);
      }
      if (name in scope.passed && scope.parent) {
        const parent = scope.parent;
        return evaluate(scope.passed[name], parent).flatMap((entry) =>
          entry !== null && typeof entry === 'object' && 'value' in entry
            ? evaluate(entry.value, parent)
            : [new Expr(`parameters('${name}')`)],
        );
      }
      return [new Expr(`parameters('${name}')`)];
    }
    case 'if': {
      const [c, a, b] = n.args;
      if (!c || !a || !b) return unknown(n);
      const condition = evalNode(c, scope);
      if (condition.length === 1 && typeof condition[0] === 'boolean')
        return evalNode(condition[0] ? a : b, scope);
      return [...evalNode(a, scope), ...evalNode(b, scope)];
    }
    case 'equals':
    case 'and':
    case 'or':
    case 'not':
    case 'empty':
    case 'bool':
      return cartesian(args()).map((vals) => logic(n.name, vals) ?? new Expr(n.name));
    case 'createobject':
      return cartesian(args()).map((vals) => {
        const obj: Record<string, Value> = {};
        for (let k = 0; k + 1 < vals.length; k += 2) obj[String(vals[k])] = vals[k + 1];
        return obj;
      });
    case 'createarray':
      return cartesian(args());
    case 'union':
      return cartesian(args()).map((objs) =>
        objs.every((o) => Array.isArray(o))
          ? objs.flat()
          : objs.every((o) => o !== null && typeof o === 'object' && !(o instanceof Expr))
            ? Object.assign({}, ...objs)
            : new Expr(`union(${objs.length})`),
      );
    case 'format':
    case 'concat':
      return cartesian(args()).map((vals) => {
        const show = (v: Value) => (v instanceof Expr ? '‹?›' : String(v));
        const text =
          n.name === 'format'
            ? String(vals[0]).replace(/\{(\d+)\}/g, (_, d) => show(vals[Number(d) + 1]))
            : vals.map(show).join('');
        return vals.some((v) => v instanceof Expr) ? new Expr(text) : text;
      });
    case 'string':
      return args()[0]?.map((v) => (v instanceof Expr ? v : String(v))) ?? unknown(n);
    default:
      return unknown(n);
  }
}
