/**
 * Imports the JavaScript of an emitted model module (what `transpileTsModel` in load-ts-module.ts makes of the
 * emitted TypeScript) from a `data:` URL. Kept apart from the transpiler so that a worker thread of the CPU engine
 * can load the model without loading the TypeScript compiler: the main thread transpiles once and sends the text.
 */
import type { TsModelModule } from './load-ts-module.js';

/** Each call yields a fresh module instance; throws when the text is not a model module. */
export async function importModelModule(js: string): Promise<TsModelModule> {
  const url = `data:text/javascript;base64,${Buffer.from(js, 'utf8').toString('base64')}`;
  const mod = (await import(/* @vite-ignore */ url)) as Partial<TsModelModule>;
  if (typeof mod.rhs !== 'function' || typeof mod.dims !== 'object' || mod.dims === null) {
    throw new Error('loadTsModel: the source is not a model module emitted by nlmc (no dims or rhs export)');
  }
  return mod as TsModelModule;
}
