// The `blue:` module: what `import { bitcoinjs } from 'blue:…'` binds. Keys never enter the
// guest: the host derives public keys and wallets (bitcoin-host.ts), strings in and out.
import { caught } from './guard.js';
import { freeze, jsonParse, RealError, RealTypeError } from './intrinsics.js';
import { messageOf } from './message-of.js';

interface BitcoinHost {
  publicKeyFromWif(wif: string): string;
  multisig(pubKeyA: string, pubKeyB: string): string;
}

function hexBuffer(hex: string): object {
  return freeze({
    length: hex.length / 2,
    toString(encoding: unknown) {
      if (encoding === 'hex') return hex;
      throw new RealError("publicKey.toString() supports only 'hex' in paydoc scripts");
    },
  });
}

/** The frozen module object compiled steps receive. */
export function createBlueModule(host: BitcoinHost): object {
  const { publicKeyFromWif, multisig } = host;
  const ECPair = freeze({
    fromWIF(wif: unknown) {
      if (typeof wif !== 'string') throw new RealTypeError('ECPair.fromWIF() expects a WIF string');
      let hex: string;
      try {
        hex = publicKeyFromWif(wif);
      } catch (error) {
        caught(error);
        throw new RealError(messageOf(error));
      }
      return freeze({ publicKey: hexBuffer(hex), compressed: hex.length === 66 });
    },
  });
  const bitcoinjs = freeze({
    ECPair,
    // A method, not a function expression: it cannot be called with new.
    multisig2of2(pubKeyA: unknown, pubKeyB: unknown) {
      if (typeof pubKeyA !== 'string' || typeof pubKeyB !== 'string') {
        throw new RealTypeError('bitcoinjs.multisig2of2() expects two hex public keys (strings)');
      }
      let answer: string;
      try {
        answer = multisig(pubKeyA, pubKeyB);
      } catch (error) {
        caught(error);
        throw new RealError(messageOf(error));
      }
      const wallet = jsonParse(answer) as { address: unknown; witnessScript: unknown };
      return freeze({ address: wallet.address, witnessScript: wallet.witnessScript });
    },
  });
  return freeze({ __proto__: null, bitcoinjs });
}
