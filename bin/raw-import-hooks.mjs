// Node module hooks for Vite's `?raw` imports (`import code from '../shaders/x.wgsl?raw'`): the file's text becomes
// the module's default export, as in Vite and vitest. Node and tsx do not know the suffix; register these before
// importing kernel code from Node (bin/adapter-studio.mjs, scripts/bench/register.mjs): `register(url of this file)` from node:module.
import { readFile } from 'node:fs/promises';

const RAW = '?raw';

export async function resolve(specifier, context, nextResolve) {
  if (!specifier.endsWith(RAW)) return nextResolve(specifier, context);
  const { url } = await nextResolve(specifier.slice(0, -RAW.length), context);
  return { url: url + RAW, format: 'module', shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  if (!url.endsWith(RAW)) return nextLoad(url, context);
  const text = await readFile(new URL(url.slice(0, -RAW.length)), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
