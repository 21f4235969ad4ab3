import * as tf from '@tensorflow/tfjs';
import { runtimeSettings } from '../../../schema/config.js';

export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';
let ready: Promise<TfBackend> | undefined;

/**
 * Picks the TensorFlow.js backend once per process: the native `tensorflow` backend when the
 * optional @tensorflow/tfjs-node package is installed, else WebAssembly. `TM_TF_BACKEND` forces one.
 */
export function tfReady(preferred: TfBackend | undefined = runtimeSettings().TM_TF_BACKEND): Promise<TfBackend> {
  ready ??= choose(preferred);
  return ready;
}

async function choose(preferred?: TfBackend): Promise<TfBackend> {
  const order: TfBackend[] = preferred ? [preferred] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
      if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // not installed or failed to start: try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

export { tf };
