import { resolve } from 'node:path';
import { adapterHubFiles } from '../../core/export/adapterhub.ts';
import { importAdapter } from '../../core/export/import.ts';
import { fusionFiles, importFusion } from '../../core/export/fusion-files.ts';
import { readAdapterFiles, readFusionFiles, writeAdapterFiles } from '../../core/export/node-files.ts';
import { peftFiles } from '../../core/export/peft.ts';
import { pythonProjectFiles } from '../../core/export/python-project.ts';
import type { AdapterFiles, ImportedAdapter } from '../../core/export/types.ts';
import { fetchEncoderConfig } from '../../core/model/index.ts';
import { type Command, UsageError, report } from '../cli-io.ts';
import { endpointFrom } from '../shared/hub-flag.ts';
import { checkOutputPath } from '../shared/out-path.ts';

/** The formats `export` writes, each from the imported adapter. */
const FORMATS: Record<string, { label: string; files: (adapter: ImportedAdapter) => AdapterFiles }> = {
  adapterhub: { label: 'AdapterHub (save_adapter\'s files)', files: (adapter) => adapterHubFiles(adapter) },
  peft: { label: 'PEFT', files: peftFiles },
  python: { label: 'a Python project (adapter/ + train.py)', files: pythonProjectFiles },
};

const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

export const exportCommand: Command = {
  name: 'export',
  summary: 'write an adapter as Python\'s adapters library or PEFT saves it (folder or .zip)',
  usage: [
    'Usage: adapter-studio export --model ID --adapter DIR_OR_ZIP --format adapterhub|peft|python --out DIR_OR_ZIP [--json]',
    '',
    '  --model ID           Hub model id of the base model (checks the adapter fits; PEFT files need it)',
    '  --adapter PATH       adapter folder (train --out, save_adapter\'s, PEFT\'s save_pretrained) or a zip of one;',
    '                       or an AdapterFusion (train --fuse\'s --out: A/, B/, A,B/ and the head\'s folder), written',
    '                       again with --format adapterhub as save_adapter_fusion, save_adapter and save_head write it',
    '  --format F           adapterhub: adapter_config.json, pytorch_adapter.bin, adapter.safetensors, head files, README.md',
    '                       peft: adapter_config.json, adapter_model.safetensors, README.md (LoRA and (IA)³ only)',
    '                       python: adapter/ plus train.py and requirements.txt to continue training in Python',
    '  --out PATH           folder to write, or a path ending in .zip for one zip archive',
    '  --name NAME          adapter name for PEFT inputs, which carry none (default "default")',
    '  --hub URL            Hub-compatible base URL (default: huggingface.co); a token is read from HF_TOKEN',
  ].join('\n'),
  options: {
    model: { type: 'string' },
    adapter: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    hub: { type: 'string' },
  },
  async run(values, ctx) {
    const model = values.model as string | undefined;
    const path = values.adapter as string | undefined;
    const format = values.format as string | undefined;
    const out = values.out as string | undefined;
    if (!model || !path || !format || !out) throw new UsageError('Give --model ID, --adapter DIR_OR_ZIP, --format and --out DIR_OR_ZIP.');
    const writer = FORMATS[format];
    if (!writer) throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(', ')}, got "${format}"`);
    await checkOutputPath(out);

    const fusionSource = await readFusionFiles(path);
    const encoder = await fetchEncoderConfig(endpointFrom(values), model);
    if (fusionSource) {
      if (format !== 'adapterhub') throw new UsageError(`${path} is an AdapterFusion; it is written as the adapters library saves it (--format adapterhub): PEFT has no fusion, and the Python project is for a single adapter.`);
      const fusion = importFusion(fusionSource, { encoder, source: path });
      const written = fusionFiles(fusion);
      const target = resolve(out);
      const kind = await writeAdapterFiles(target, written);
      const listing = [...written].map(([name, bytes]) => ({ path: name, bytes: bytes.byteLength }));
      const notes = [...fusion.notes, ...fusion.adapters.flatMap((a) => a.notes)];
      report(ctx, { format, out: target, kind, fusion: fusion.name, adapters: fusion.adapterNames, head: fusion.head?.name, files: listing, notes }, [
        `Exported AdapterFusion "${fusion.name}" (adapters ${fusion.adapterNames.join(', ')}${fusion.head ? `, head "${fusion.head.name}"` : ''}) as the adapters library saves it to ${target}${kind === 'zip' ? ' (zip)' : ''}:`,
        ...listing.map((f) => `  ${f.path.padEnd(50)} ${size(f.bytes)}`),
        ...notes.map((note) => `Note: ${note}`),
      ]);
      return 0;
    }
    const files = await readAdapterFiles(path);
    const adapter = importAdapter(files, { encoder, source: path, ...(values.name ? { name: values.name as string } : {}) });
    const written = writer.files(adapter);
    const target = resolve(out);
    const kind = await writeAdapterFiles(target, written);
    const listing = [...written].map(([name, bytes]) => ({ path: name, bytes: bytes.byteLength }));
    report(ctx, { format, out: target, kind, adapter: adapter.name, sourceFormat: adapter.sourceFormat, files: listing, notes: adapter.notes }, [
      `Exported adapter "${adapter.name}" (read as ${adapter.sourceFormat} files) as ${writer.label} to ${target}${kind === 'zip' ? ' (zip)' : ''}:`,
      ...listing.map((f) => `  ${f.path.padEnd(30)} ${size(f.bytes)}`),
      ...adapter.notes.map((note) => `Note: ${note}`),
    ]);
    return 0;
  },
};
