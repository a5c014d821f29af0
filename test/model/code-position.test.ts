import { describe, expect, it } from 'vitest';
import { codeLocator } from '../../src/model/code-position.js';
import { loadYaml } from '../../src/model/load-yaml.js';

function at(text: string, pointer: string, line: number, col: number) {
  const loaded = loadYaml(text);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return codeLocator(text, loaded.value)(pointer, line, col);
}

// A script's line:col is placed in its YAML file: `'  - code: |2\n'` is line 3 below.
describe('codeLocator', () => {
  it('places a line of a literal block below its header, shifted by its indentation', () => {
    const text = 'a: 1\ncontracts:\n  w:\n    code: |\n      one();\n      two();\n';
    expect(at(text, '/contracts/w/code', 2, 3)).toEqual({ line: 6, col: 9 });
  });

  it('counts blank lines and keeps the lines of |- and CRLF files', () => {
    expect(at('x:\n  code: |-\n\n    a();\n    b();\n', '/x/code', 3, 2)).toEqual({
      line: 5,
      col: 6,
    });
    expect(at('code: |\r\n  a();\r\n  b();\r\n', '/code', 2, 1)).toEqual({ line: 3, col: 3 });
  });

  it('takes an explicit indentation indicator from the holding node, not the first line', () => {
    const text = 'a: 1\nc:\n  - code: |2\n        deep();\n      bar();\n';
    expect(at(text, '/c/0/code', 2, 1)).toEqual({ line: 5, col: 7 });
  });

  it('counts a tab at the start of a line as content, not indentation', () => {
    expect(at('code: |\n  \tfoo();\n    bar();\n', '/code', 1, 2)).toEqual({ line: 2, col: 4 });
  });

  it('answers the scalar itself for a quoted or folded script, and nothing off the tree', () => {
    expect(at('code: "return 1;"\n', '/code', 1, 5)).toEqual({ line: 1, col: 7 });
    expect(at('code: "x"\n', '/missing', 1, 1)).toBeUndefined();
  });
});
