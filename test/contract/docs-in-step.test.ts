/**
 * The docs' operations and settings tables and `local.settings.sample.json` are kept in step
 * with the catalog and the config schema: a setting or operation added in code but not
 * documented (or documented but gone) fails here. The README stays a five-minute read, and
 * every relative link between README.md and docs/*.md (file and heading anchor) resolves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localSettingsSchema } from '../../scripts/local-settings.js';
import { operations } from '../../src/catalog/index.js';
import { settingsSchema } from '../../src/config.js';

const root = join(__dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
/** Where the settings tables ("Configuration", "Local runtime settings") live. */
const configurationDoc = read('docs/configuration.md');
/** Where the operations tables live. */
const operationsDoc = read('docs/operations.md');
const sample = JSON.parse(read('local.settings.sample.json')) as {
  Values: Record<string, string>;
};

/** Rows of the markdown table under a heading: first cell, unwrapped from backticks. */
function tableKeys(doc: string, heading: string): string[] {
  const section = doc.split(/^#+ /m).find((s) => s.startsWith(heading)) ?? '';
  return section
    .split('\n')
    .map((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

/** Markdown files whose relative links must resolve: the README and every docs page. */
const markdownFiles = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The lines of a markdown text outside fenced code blocks (``` or ~~~, indented or not). */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence === undefined && marker?.[1] !== undefined) {
      fence = marker[1];
      continue;
    }
    // A closing fence: the same character, at least as long, nothing after it.
    if (fence !== undefined && marker?.[1]?.startsWith(fence) && marker[2]?.trim() === '') {
      fence = undefined;
      continue;
    }
    if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchors: the rendered text, lower-cased, punctuation dropped, spaces → `-`, repeats numbered. */
function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const rendered = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images → their text
      .replace(/<[^>]+>/g, ''); // inline HTML
    const slug = rendered
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * Relative link targets in a markdown text, code excluded: inline `](target)` and reference
 * definitions (`[label]: target`, alone on their line with at most a title, as CommonMark has them).
 */
function relativeLinks(text: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(text)) {
    const prose = line.replace(/(`+)[^`]*?\1/g, ''); // inline code spans
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1] ?? '');
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*$/.exec(
      prose,
    )?.[1];
    if (definition !== undefined) targets.push(definition);
  }
  return targets.filter((t) => t !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('//'));
}

/** Why a link from `file` to `target` does not resolve, or undefined when it does. */
function brokenLink(file: string, target: string): string | undefined {
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = path === '' ? join(root, file) : join(root, dirname(file), path);
  const shown = `${file} → ${target}`;
  if (!existsSync(resolved)) return `${shown}: no file ${relative(root, resolved)}`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md')) return `${shown}: an anchor into a file that is not markdown`;
  if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) return `${shown}: no heading #${anchor}`;
  return undefined;
}

describe('docs in step with code', () => {
  const settings = Object.keys(settingsSchema.shape).sort();

  it('docs/configuration.md "Configuration" lists every setting of the config schema, and only those', () => {
    expect(tableKeys(configurationDoc, 'Configuration').sort()).toEqual(settings);
  });

  it('docs/configuration.md "Local runtime settings" lists every npm start setting', () => {
    expect(tableKeys(configurationDoc, 'Local runtime settings').sort()).toEqual(
      Object.keys(localSettingsSchema.shape).sort(),
    );
  });

  it('local.settings.sample.json documents every setting', () => {
    // Host settings beside the app's: the worker runtime and the worker's header limit.
    const host = ['FUNCTIONS_WORKER_RUNTIME', 'languageWorkers__node__arguments'];
    const documented = Object.keys(sample.Values).filter((k) => !host.includes(k));
    expect(documented.sort()).toEqual(settings);
  });

  it('local.settings.sample.json holds no secret values', () => {
    for (const key of ['FLYTE_API_KEY', 'FLYTE_CLIENT_SECRET']) expect(sample.Values[key]).toBe('');
  });

  it.each(operations.map((op) => [op.operationId, op] as const))(
    'docs/operations.md operations table has %s',
    (_operationId, op) => {
      const row = operationsDoc.split('\n').find((line) => line.includes(`\`${op.tool.name}\``)) ?? '';
      expect(row).toContain(`\`${op.rest.method} ${op.rest.path}\``);
      expect(row).toContain(`\`${op.operationId}\``);
    },
  );

  it('README.md stays within 15 KiB', () => {
    expect(readFileSync(join(root, 'README.md')).byteLength).toBeLessThanOrEqual(15 * 1024);
  });

  it('every relative link in README.md and docs/*.md resolves (file, and heading anchor where given)', () => {
    const links = markdownFiles.flatMap((file) =>
      relativeLinks(read(file)).map((target) => ({ file, target })),
    );
    expect(links.length).toBeGreaterThan(0);
    const broken = links.map(({ file, target }) => brokenLink(file, target)).filter((b) => b !== undefined);
    expect(broken).toEqual([]);
  });
});
