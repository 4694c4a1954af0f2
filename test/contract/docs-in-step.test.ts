/**
 * The README's operations and settings tables and `local.settings.sample.json` are kept in
 * step with the catalog and the config schema: a setting or operation added in code but not
 * documented (or documented but gone) fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localSettingsSchema } from '../../scripts/local-settings.js';
import { operations } from '../../src/catalog/index.js';
import { settingsSchema } from '../../src/config.js';

const root = join(__dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const sample = JSON.parse(readFileSync(join(root, 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};

/** Rows of the markdown table under a heading: first cell, unwrapped from backticks. */
function tableKeys(heading: string): string[] {
  const section = readme.split(/^#+ /m).find((s) => s.startsWith(heading)) ?? '';
  return section
    .split('\n')
    .map((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

describe('docs in step with code', () => {
  const settings = Object.keys(settingsSchema.shape).sort();

  it('README "Configuration" lists every setting of the config schema, and only those', () => {
    expect(tableKeys('Configuration').sort()).toEqual(settings);
  });

  it('README "Local runtime settings" lists every npm start setting', () => {
    expect(tableKeys('Local runtime settings').sort()).toEqual(Object.keys(localSettingsSchema.shape).sort());
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

  it.each(operations.map((op) => [op.seed, op] as const))('README operations table has %s', (_seed, op) => {
    const row = readme.split('\n').find((line) => line.includes(`\`${op.tool.name}\``)) ?? '';
    expect(row).toContain(`\`${op.rest.method} ${op.rest.path}\``);
    expect(row).toContain(`\`${op.seed}\``);
  });
});
