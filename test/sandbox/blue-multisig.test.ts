import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolateHost } from '../../src/sandbox/isolate-host.js';
import type { ScriptOutcome } from '../../src/sandbox/sandbox.js';
import { SupervisedSandbox } from '../../src/sandbox/supervised-sandbox.js';
import { PUBLIC_KEY_1, UNCOMPRESSED_PUBLIC_KEY_1, WIF_KEY_1, call } from './seed-steps.js';

const KEY_A = '026477115981fe981a6918a6297d9803c4dc04f328f22041bedff886bbc2962e01';
const KEY_B = '02c96db2302d19b43d4c69368babace7854cc84eb9e061cde51cfa77ca4a22b8b9';
const ADDRESS_AB = 'bc1q7l77evl0p8p2ynsqxz8tccp3xn8nua6rqh8c5q3qsr0knfvljetsfc7yws';
const SCRIPT_AB = `5221${KEY_A}21${KEY_B}52ae`;

/** A step that builds the escrow wallet from the document's two keys, as seed 003's story does. */
const WALLET_STEP = `import { bitcoinjs } from 'blue:FaTx83nVvz7K5uA9RwQhP2bY1LdJtE6mX4G';
const wallet = bitcoinjs.multisig2of2(document('/merchantKey'), document('/customerKey'));
return {
  events: [{ type: 'Escrow Wallet Created', address: wallet.address }],
  address: wallet.address,
  witnessScript: wallet.witnessScript,
};`;

const walletCall = (merchantKey: string, customerKey: string): ReturnType<typeof call> =>
  call(WALLET_STEP, { stepName: 'CreateWallet', document: { merchantKey, customerKey } });

const expected = {
  ok: true,
  value: {
    events: [{ type: 'Escrow Wallet Created', address: ADDRESS_AB }],
    address: ADDRESS_AB,
    witnessScript: SCRIPT_AB,
  },
};

let host: IsolateHost;
beforeAll(() => {
  host = new IsolateHost();
});
afterAll(async () => {
  await host.close();
});

const run = (code: string): ScriptOutcome =>
  host.runSync(call(`import { bitcoinjs } from 'blue:x';\n${code}`));

function expectScriptError(outcome: ScriptOutcome, message: RegExp): void {
  expect(outcome).toMatchObject({ ok: false, code: 'script_error' });
  if (!outcome.ok) expect(outcome.message).toMatch(message);
}

describe('bitcoinjs.multisig2of2 in a step', () => {
  it('gives the vector address and witness script', () => {
    expect(host.runSync(walletCall(KEY_A, KEY_B))).toEqual(expected);
  });

  it('keeps the keys in the order given', () => {
    const swapped = host.runSync(walletCall(KEY_B, KEY_A));
    expect(swapped.ok && swapped.value).toMatchObject({
      address: 'bc1qwpc79ez6s7x2je3mr5cx2q39a6zxzvz9y2y8t9vpjh8yjnvel7wq5gluj5',
    });
  });

  it('returns a frozen plain object', () => {
    expect(
      run(`const wallet = bitcoinjs.multisig2of2('${KEY_A}', '${KEY_B}');
        let threw = false;
        try { wallet.address = 'mine'; } catch { threw = true; }
        return { frozen: Object.isFrozen(wallet), threw, keys: Object.keys(wallet), address: wallet.address };`),
    ).toEqual({
      ok: true,
      value: { frozen: true, threw: true, keys: ['address', 'witnessScript'], address: ADDRESS_AB },
    });
  });

  it('throws inside the guest, with the host message, for a refused key', () => {
    expectScriptError(
      run(`bitcoinjs.multisig2of2('${KEY_A}', '${UNCOMPRESSED_PUBLIC_KEY_1}'); return {};`),
      /^line 2:11: multisig2of2\(\): second public key is uncompressed .*segwit/,
    );
    expectScriptError(
      run(`bitcoinjs.multisig2of2('zz', '${KEY_B}'); return {};`),
      /^line 2:11: multisig2of2\(\): first public key 'zz' is not hex/,
    );
    expectScriptError(
      run(`bitcoinjs.multisig2of2('${KEY_A}', '${KEY_A}'); return {};`),
      /two different public keys/,
    );
    expectScriptError(run(`bitcoinjs.multisig2of2('${KEY_A}'); return {};`), /expects two hex/);
    expectScriptError(
      run(`bitcoinjs.multisig2of2('${KEY_A}', { toString() { return '${KEY_B}'; } }); return {};`),
      /expects two hex public keys/,
    );
  });

  it('lets a step catch the error and carry on', () => {
    expect(
      run(`try { bitcoinjs.multisig2of2('${KEY_A}', ''); } catch (error) {
        return { caught: error instanceof Error, message: error.message };
      }
      return {};`),
    ).toMatchObject({ ok: true, value: { caught: true } });
  });

  it('cannot be called with new, nor replaced', () => {
    expectScriptError(
      run(`new bitcoinjs.multisig2of2('${KEY_A}', '${KEY_B}'); return {};`),
      /not a constructor/,
    );
    expect(
      run(`try { bitcoinjs.multisig2of2 = () => ({}); } catch {}
        return { address: bitcoinjs.multisig2of2('${KEY_A}', '${KEY_B}').address };`),
    ).toEqual({ ok: true, value: { address: ADDRESS_AB } });
  });

  it('does not let fromWIF pose as a host request', () => {
    expectScriptError(
      run(
        `bitcoinjs.ECPair.fromWIF('\\u0000' + JSON.stringify(['multisig2of2', '${KEY_A}', '${KEY_B}'])); return {};`,
      ),
      /^line 2:18: invalid WIF private key/,
    );
  });

  it('leaves fromWIF as it was', () => {
    expect(
      run(`return { hex: bitcoinjs.ECPair.fromWIF('${WIF_KEY_1}').publicKey.toString('hex') };`),
    ).toEqual({ ok: true, value: { hex: PUBLIC_KEY_1 } });
  });
});

describe('bitcoinjs.multisig2of2 in a supervised worker', () => {
  it('gives the vector address', async () => {
    const sandbox = new SupervisedSandbox();
    try {
      expect(await sandbox.run(walletCall(KEY_A, KEY_B))).toEqual(expected);
    } finally {
      await sandbox.close();
    }
  });
});
