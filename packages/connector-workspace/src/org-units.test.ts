import { describe, expect, it } from 'vitest';
import { OrgUnitTree } from './org-units.js';

const ou = (id: string, name: string, path: string, parent: string) => ({ orgUnitId: id, name, orgUnitPath: path, parentOrgUnitId: parent });
// As Google lists them: in no particular order, top-level OUs with the root's id as parent.
const tree = new OrgUnitTree([
  ou('id:c', 'Squad', '/Eng/Backend/Squad', 'id:b'),
  ou('id:a', 'Eng', '/Eng', 'id:root'),
  ou('id:d', 'Sales', '/Sales', 'id:root'),
  ou('id:b', 'Backend', '/Eng/Backend', 'id:a'),
]);

describe('the org-unit tree', () => {
  it('orders parents before children, then by path', () => {
    expect(tree.ordered().map((o) => o.path)).toEqual(['/Eng', '/Sales', '/Eng/Backend', '/Eng/Backend/Squad']);
  });

  it("gives each OU its organization names from the top down, and a user's OU path the same names", () => {
    expect(tree.namesOf('id:c')).toEqual(['Eng', 'Backend', 'Squad']);
    expect(tree.pathOf('/Eng/Backend/Squad')).toEqual(['Eng', 'Backend', 'Squad']);
    expect(tree.pathOf('/eng/backend')).toEqual(['Eng', 'Backend']);
    expect(tree.pathOf('/')).toEqual([]);
  });

  it('falls back to the path segments for an OU it does not know', () => {
    expect(tree.pathOf('/New/Team')).toEqual(['New', 'Team']);
    expect(new OrgUnitTree([]).pathOf('/Eng/Backend')).toEqual(['Eng', 'Backend']);
  });
});
