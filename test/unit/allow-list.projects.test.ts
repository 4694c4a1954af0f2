import { describe, expect, it } from 'vitest';
import { assertProjectsAllowed } from '../../src/flyte/allow-list.js';

/** 'allowed', or the type and detail of the refusal. */
const verdict = (projects: string[], allowed: string[]) => {
  try {
    assertProjectsAllowed(projects, allowed);
    return 'allowed';
  } catch (error) {
    const e = error as { type: string; status: number; detail: string };
    return { type: e.type, status: e.status, detail: e.detail };
  }
};

const refused = (project: string) => ({
  type: 'forbidden',
  status: 403,
  detail: `Flyte project "${project}" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
});

describe.each([
  { case: 'a listed project', projects: ['flytesnacks'], allowed: ['flytesnacks', 'ml'] },
  { case: 'two listed projects', projects: ['ml', 'flytesnacks'], allowed: ['flytesnacks', 'ml'] },
  { case: 'a repeated listed project', projects: ['ml', 'ml'], allowed: ['ml'] },
  { case: 'any project under *', projects: ['anything'], allowed: ['*'] },
  { case: 'any project when * is one of several', projects: ['other'], allowed: ['ml', '*'] },
  { case: 'no project at all', projects: [], allowed: [] },
])('$case', ({ projects, allowed }) => {
  it('is allowed', () => {
    // Act
    const result = verdict(projects, allowed);

    // Assess
    expect(result).toBe('allowed');
  });
});

describe.each([
  { case: 'an unlisted project', projects: ['other'], allowed: ['flytesnacks'], named: 'other' },
  {
    case: 'a project differing in case',
    projects: ['Flytesnacks'],
    allowed: ['flytesnacks'],
    named: 'Flytesnacks',
  },
  {
    case: 'one unlisted among listed',
    projects: ['flytesnacks', 'other'],
    allowed: ['flytesnacks'],
    named: 'other',
  },
  { case: 'any project with an empty list', projects: ['flytesnacks'], allowed: [], named: 'flytesnacks' },
  {
    case: 'a project named like a wildcard prefix',
    projects: ['ml-prod'],
    allowed: ['ml-*'],
    named: 'ml-prod',
  },
])('$case', ({ projects, allowed, named }) => {
  it(`is refused with 403 forbidden naming "${named}"`, () => {
    // Act
    const result = verdict(projects, allowed);

    // Assess
    expect(result).toStrictEqual(refused(named));
  });
});
