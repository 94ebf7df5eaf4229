// "The app never touches tensors", checked on what the page really loads: esbuild bundles the page's entry as the
// browser would run it (type-only imports erased, the worker's file left to `new Worker(new URL(...))`) and lists
// every module it pulled in. The lint's dependency rules look at one import at a time; this follows them all.
import { builtinModules } from 'node:module';
import { type Metafile, build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The project files and packages a bundle of `entry` reads (paths relative to the repository root), with their imports. */
async function modulesOf(entry: string): Promise<Metafile['inputs']> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    outdir: 'bundle-boundary-out',
    jsx: 'automatic',
    logLevel: 'silent',
    loader: { '.css': 'css' },
    // Node-only paths of some packages (behind `typeof process` checks), as Vite leaves them out of the browser build.
    external: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)],
    plugins: [{
      // Vite's `?raw` (the kernels' WGSL) and `?url` (tfjs' wasm files) imports: the bundle needs only their names.
      name: 'vite-suffixes',
      setup(b) {
        b.onResolve({ filter: /\?(raw|url)$/ }, (args) => ({ path: args.path, namespace: 'vite-asset' }));
        b.onLoad({ filter: /.*/, namespace: 'vite-asset' }, () => ({ contents: '', loader: 'text' }));
      },
    }],
  });
  return (result.metafile as Metafile).inputs;
}

const isTensorModule = (path: string) => path.includes('node_modules/@tensorflow/');
/** The project files of a bundle that import tfjs themselves: where the tensors come in. */
const tensorImporters = (modules: Metafile['inputs']) =>
  Object.entries(modules).filter(([path, { imports }]) => path.startsWith('src/') && imports.some((i) => isTensorModule(i.path))).map(([path]) => path);

describe('the page bundle', () => {
  it('reaches no @tensorflow module, and of the worker only its client', async () => {
    const modules = await modulesOf('src/main.tsx');
    expect(Object.keys(modules)).toContain('src/app/App.tsx');
    expect(tensorImporters(modules)).toEqual([]);
    expect(Object.keys(modules).filter(isTensorModule)).toEqual([]);
    expect(Object.keys(modules).filter((path) => path.startsWith('src/worker/'))).toEqual(['src/worker/client.ts']);
  }, 60_000);

  it('is told apart from the worker bundle, which does load tfjs', async () => {
    const modules = await modulesOf('src/worker/worker.ts');
    expect(tensorImporters(modules)).toContain('src/worker/training-session.ts');
    expect(Object.keys(modules).filter((path) => path.startsWith('src/app/'))).toEqual([]);
  }, 60_000);
});
