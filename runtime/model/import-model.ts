/**
 * Imports the JavaScript of an emitted model module (`emitTs(..., { typed: false })`, or what `transpileTsModel`
 * makes of the TS artifact) from a `data:` URL. Kept apart from the transpiler so that nothing at run time loads
 * the TypeScript compiler: the prepared model holds the text, and each worker thread of the CPU engine imports it.
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
