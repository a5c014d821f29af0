import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BLUE_MODULE_EXPORTS, GUEST_GLOBALS } from '../../src/sandbox/guest-api.js';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import { call } from './seed-steps.js';

const DECLARATIONS = fileURLToPath(new URL('../../types/sandbox.d.ts', import.meta.url));

/** The global values and the `blue:*` module exports that types/sandbox.d.ts declares. */
function declaredNames(): { globals: string[]; blueExports: string[] } {
  const source = ts.createSourceFile(
    DECLARATIONS,
    readFileSync(DECLARATIONS, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const globals: string[] = [];
  const blueExports: string[] = [];
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        globals.push(declaration.name.getText(source));
    } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
      globals.push(statement.name.text);
    } else if (ts.isModuleDeclaration(statement) && ts.isStringLiteral(statement.name)) {
      expect(statement.name.text).toBe('blue:*');
      const body = statement.body;
      if (body === undefined || !ts.isModuleBlock(body)) throw new Error('blue:* has no body');
      for (const member of body.statements) {
        if (ts.isVariableStatement(member)) {
          for (const declaration of member.declarationList.declarations)
            blueExports.push(declaration.name.getText(source));
        } else if (ts.isFunctionDeclaration(member) && member.name !== undefined) {
          blueExports.push(member.name.text);
        }
      }
    }
  }
  return { globals, blueExports };
}

describe('types/sandbox.d.ts', () => {
  it('declares exactly the guest globals and blue: exports the runtime binds', () => {
    const { globals, blueExports } = declaredNames();
    expect([...globals].sort()).toEqual([...GUEST_GLOBALS].sort());
    expect([...blueExports].sort()).toEqual([...BLUE_MODULE_EXPORTS].sort());
  });

  it("type-checks, and describes the seed's use of the API", () => {
    const consumer = 'step.ts';
    const text = [
      "import { bitcoinjs } from 'blue:FaTx83nVvz7K5uA9RwQhP2bY1LdJtE6mX4G';",
      "const hex: string = bitcoinjs.ECPair.fromWIF(String(event.privateKey)).publicKey.toString('hex');",
      "const amount = document('/amount');",
      'const total: number = typeof amount === "number" ? amount * 0.2 : 0;',
      'const previous = steps.ValidatePrivateKey;',
      'const channel = currentContract.channel;',
      'const message = entry?.message;',
      "const wallet: PaydocScript.Multisig2of2 = bitcoinjs.multisig2of2(hex, '02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9');",
      'const address: string = wallet.address + wallet.witnessScript;',
      'const result: PaydocScript.StepResult = { events: [{ type: "Capture Payment", amount: total }], hex, previous, channel, message, address };',
      'export { result };',
    ].join('\n');
    const host = ts.createCompilerHost({});
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => (name === consumer ? text : readFile(name));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === consumer || fileExists(name);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version) =>
      name === consumer ? ts.createSourceFile(name, text, version) : getSourceFile(name, version);
    const program = ts.createProgram(
      [DECLARATIONS, consumer],
      {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
        types: [],
      },
      host,
    );
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});

describe('the runtime bindings', () => {
  it('gives a step each of GUEST_GLOBALS, and the blue: module each of BLUE_MODULE_EXPORTS', async () => {
    const host = new IsolateHost();
    const outcome = await host.run(
      call(`import * as blue from 'blue:x';
        return { types: [${GUEST_GLOBALS.map((name) => `typeof ${name}`).join(', ')}], exports: Object.keys(blue) };`),
    );
    await host.close();
    expect(outcome).toEqual({
      ok: true,
      value: {
        types: GUEST_GLOBALS.map((name) => (name === 'document' ? 'function' : 'object')),
        exports: [...BLUE_MODULE_EXPORTS],
      },
    });
  });
});
