// The bench report as the Markdown table the README shows: one row per figure, each ratio with its absolute numbers.

const ms = (v) => `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const x = (v) => `×${v.toFixed(2)}`;
const pct = (v) => `${(v * 100).toFixed(1)}%`;
/** "met" / "not met" against a goal, or "—" without one. */
const verdict = (met) => (met === undefined ? '—' : met ? 'met' : 'not met');

function kernelRows(kernels) {
  const rows = [];
  for (const report of kernels.reports) {
    for (const r of report.results) {
      const goal = r.kernel === 'bottleneck' ? r.speedup >= 2 : undefined;
      rows.push([`1. ${r.kernel} fused WGSL vs composed tfjs, fwd+bwd, ${r.shape}`,
        `${x(r.speedup)} (fused ${ms(r.fusedMs)}, composed ${ms(r.composedMs)}; fwd only ${x(r.forwardSpeedup)}; path ${r.path})`,
        r.kernel === 'bottleneck' ? '≥ ×2' : '—', verdict(goal)]);
      rows.push([`1. ${r.kernel} fused GFLOP/s vs peak, ${r.shape}`,
        `${pct(r.fusedPeakFraction)} (${r.fusedGflops.toFixed(2)} of ${report.peakGflops.toFixed(2)} GFLOP/s; ${report.samples} sample(s))`,
        '≥ 30%', verdict(r.fusedPeakFraction >= 0.3)]);
    }
  }
  return rows;
}

function adapterVsFull(backend, adapter, full) {
  if (!adapter || !full) return [];
  const time = adapter.stepMs / full.stepMs;
  const memory = adapter.peakBytes / full.peakBytes;
  const scope = full.embeddingsTrain ? 'all encoder weights' : 'all encoder weights but the embedding tables';
  return [
    [`2. seq_bn rf 16 vs full fine-tuning (${scope}): step time, ${backend}`,
      `${x(time)} (${ms(adapter.stepMs)} vs ${ms(full.stepMs)}; ${adapter.trainableParameters.toLocaleString('en')} vs ${full.trainableParameters.toLocaleString('en')} trainable)`,
      '≤ ×0.35', verdict(time <= 0.35)],
    [`2. seq_bn rf 16 vs full fine-tuning: peak tensor memory, ${backend}`,
      `${x(memory)} (${mb(adapter.peakBytes)} vs ${mb(full.peakBytes)})`, '≤ ×0.5', verdict(memory <= 0.5)],
  ];
}

/** A step figure's adapter, as the rows name it (figures from before --method ran seq_bn). */
/** The kernels taking most of a step figure's time, as shares of its mean step, and the JavaScript between them. */
function kernelShares(f) {
  const entries = Object.entries(f.kernelSeconds);
  const total = entries.reduce((sum, [, sec]) => sum + sec, 0);
  const step = f.meanStepSeconds ?? f.stepSeconds;
  const top = entries.slice(0, 6);
  const topSeconds = top.reduce((sum, [, sec]) => sum + sec, 0);
  return `${top.map(([name, sec]) => `${name} ${pct(sec / step)}`).join(', ')}; other kernels ${pct((total - topSeconds) / step)}; between kernels ${pct(Math.max(0, step - total) / step)}`;
}

/** Issue 15's browser figure (chromium.ts): each case's step in Chromium; --gpu's against the seeds' throughput, or why it skipped. */
function chromiumRows(f, label) {
  if (f.skipped) return [[`9. ${label}: skipped`, f.skipped, '—', '—']];
  return f.cases.map((c) => {
    const info = c.backend === 'webgpu'
      ? `adapter ${[c.backendInfo.adapter?.vendor, c.backendInfo.adapter?.architecture].filter(Boolean).join(' ')}${c.backendInfo.adapter?.isSoftware ? ', software' : ''}`
      : `${c.backendInfo.wasm?.threadedBuild ? 'threaded build' : 'single-threaded build'}, ${c.backendInfo.wasm?.threads} thread(s), matMul ${c.backendInfo.wasm?.matMul ?? 'tfjs'}`;
    const tiny = c.name === 'tiny-bert' && c.backend === 'wasm';
    const seeds = f.seedsSamplesPerSecond && c.name === 'roberta-base';
    return [`9. ${c.name} seq_bn rf 16 step, ${label} ${c.backend}, batch ${c.batch} padded to ${c.padLengths.join('/')}`,
      `${ms(c.stepMs)}/step, ${c.samplesPerSecond.toFixed(1)} samples/s (first step ${ms(c.firstStepMs)}, load ${ms(c.loadMs)}; ${info}; Chromium ${f.chromium})${seeds ? `; ${pct(c.samplesPerSecond / f.seedsSamplesPerSecond)} of the seeds' ${f.seedsSamplesPerSecond} samples/s` : ''}`,
      tiny ? '≤ 20 ms' : seeds ? '≥ 50% of the seeds' : '—', tiny ? verdict(c.stepMs <= 20) : seeds ? verdict(c.samplesPerSecond >= 0.5 * f.seedsSamplesPerSecond) : '—'];
  });
}

const methodName = (f) => (f.method === 'lora' ? 'LoRA r 8 (q, v)' : f.method === 'full' ? 'full fine-tuning' : 'seq_bn rf 16');

/** Issue 18's figure: deberta-v3-base's load and step, beside bert-base's when that ran in the same bench. */
function debertaRows(f, bert) {
  const s = (v) => `${v.toFixed(2)} s`;
  const gb = (bytes) => `${(bytes / 1e9).toFixed(2)} GB`;
  const split = (g) => (g.microBatch < g.batch ? `micro-batches of ${g.microBatch}` : 'whole batches');
  const micro = f.microBatch < f.batch ? ` (${split(f)})` : '';
  const load = `load average ${f.loadAverage.map((l) => l.toFixed(1)).join(' → ')}`;
  const t = f.torch;
  const versus = t ? `; PyTorch ${t.version} ${s(t.stepSeconds)}/step, ${gb(t.peakRssBytes)} peak RSS, ${t.threads} thread(s); CPU time ${x(f.cpuRatioToTorch)}: ${f.stepCpuSeconds.toFixed(2)} vs ${t.stepCpuSeconds.toFixed(2)} CPU s/step; logits equal within ${f.logitsMaxAbsDiff.toExponential(1)}` : '';
  const rows = [[`8. deberta-v3-base ${methodName(f)} step, wasm (Node) vs PyTorch CPU, batch ${f.batch}${micro} padded to ${f.padLengths.join('/')} (${load})`,
    `${t ? x(f.ratioToTorch) : '—'} (${s(f.stepSeconds)}/step, ${f.samplesPerSecond.toFixed(2)} samples/s, ${gb(f.peakRssBytes)} peak RSS${versus})`, '—', '—']];
  if (t) rows.push([`8. deberta-v3-base ${methodName(f)} step: peak RSS, wasm (Node) vs PyTorch CPU`, `${x(f.peakRssBytes / t.peakRssBytes)} (${gb(f.peakRssBytes)} vs ${gb(t.peakRssBytes)})`, '—', '—']);
  const beside = (mine, theirs) => (theirs === undefined ? s(mine) : `${x(mine / theirs)} of bert-base (${s(mine)} vs ${s(theirs)})`);
  rows.push(['8. deberta-v3-base load, random weights built → model ready (upload, adapter, head), wasm (Node)', beside(f.loadSeconds, bert?.loadSeconds), '—', '—']);
  if (bert) rows.push([`8. deberta-v3-base step vs bert-base step, wasm (Node), same batches (deberta-v3-base in ${split(f)}, bert-base in ${split(bert)})`, `${beside(f.stepSeconds, bert.stepSeconds)}; CPU time ${x(f.stepCpuSeconds / bert.stepCpuSeconds)}`, '—', '—']);
  return rows;
}

export function markdownReport({ meta, results, failures }) {
  const r = results;
  const rows = [];
  if (r.kernels) rows.push(...kernelRows(r.kernels));
  rows.push(...adapterVsFull('wasm', r.wasmAdapter, r.wasmFull), ...adapterVsFull('cpu', r.cpuAdapter, r.cpuFull));
  const throughput = [['wasm (Node)', r.wasmAdapter], ['cpu (Node)', r.cpuAdapter], ['WebGPU (Node Dawn, SwiftShader)', r.webgpuAdapter]].filter(([, f]) => f);
  const base = r.wasmAdapter?.samplesPerSecond;
  for (const [name, f] of throughput) {
    rows.push([`3. Training samples/s, demo model, seq_bn, batch 16, ${name}`,
      `${f.samplesPerSecond.toFixed(1)} samples/s (${ms(f.stepMs)}/step${base ? `; ${x(f.samplesPerSecond / base)} of wasm` : ''})`, '—', '—']);
  }
  if (r.data) {
    const { bucketed, unbucketed } = r.data.padding;
    rows.push(['4. Padding efficiency (real / padded tokens), tiny-sentiment train, batch 16',
      `${pct(bucketed.efficiency)} with bucketing vs ${pct(unbucketed.efficiency)} without (${bucketed.slots.toLocaleString('en')} vs ${unbucketed.slots.toLocaleString('en')} token slots, ${x(unbucketed.slots / bucketed.slots)} fewer)`, '—', '—']);
    const { parquet, rows: viewer } = r.data.streaming;
    rows.push(['4. Streaming rows/s, large-sentiment first 5,000 rows, offline Hub on localhost',
      `parquet ranges ${Math.round(parquet.rowsPerSecond).toLocaleString('en')} rows/s (${parquet.requests} requests) vs /rows ${Math.round(viewer.rowsPerSecond).toLocaleString('en')} rows/s (${viewer.requests} requests): ${x(parquet.rowsPerSecond / viewer.rowsPerSecond)}`, '—', '—']);
  }
  const load = r.wasmAdapter?.load;
  if (load) {
    rows.push(['5. Model load, tiny-bert, cold vs cached (MemoryWeightCache)',
      `${x(load.cachedMs / load.coldMs)} (cold ${ms(load.coldMs)}, ${mb(load.coldNetworkBytes)} fetched; cached ${ms(load.cachedMs)}, ${mb(load.cachedNetworkBytes)} fetched)`, '—', '—']);
  }
  for (const [name, f] of throughput) rows.push([`5. train() called → first step done, ${name}`, ms(f.firstStepMs), '—', '—']);
  if (r.exportSize) {
    const e = r.exportSize;
    const f = e.files;
    rows.push([`6. Exported adapter size, bert-base seq_bn rf 16 (${e.adapterParameters.toLocaleString('en')} params)`,
      `pytorch_adapter.bin ${mb(f['pytorch_adapter.bin'])}, adapter.safetensors ${mb(f['adapter.safetensors'])}; head (${e.headParameters.toLocaleString('en')} params) pytorch_model_head.bin ${mb(f['pytorch_model_head.bin'])}, model_head.safetensors ${mb(f['model_head.safetensors'])}`, '≈ 3.5 MB adapter', verdict(Math.abs(f['adapter.safetensors'] / 1e6 - 3.58) < 0.2)]);
  }
  for (const [model, bert] of [['bert-base', r.bertBase], ['bert-base', r.bertBaseLora], ['bert-base', r.bertBaseFull], ['roberta-base', r.robertaBase]].filter(([, f]) => f)) {
    const gb = (bytes) => `${(bytes / 1e9).toFixed(2)} GB`;
    const name = methodName(bert);
    const versus = bert.torch ? `; PyTorch ${bert.torch.version} ${bert.torch.stepSeconds.toFixed(2)} s/step, ${gb(bert.torch.peakRssBytes)} peak RSS, ${bert.torch.threads} thread(s)` : '';
    const cpu = bert.cpuRatioToTorch ? `; CPU time ${x(bert.cpuRatioToTorch)}: ${bert.stepCpuSeconds.toFixed(2)} vs ${bert.torch.stepCpuSeconds.toFixed(2)} CPU s/step` : '';
    rows.push([`7. ${model} ${name} step, wasm (Node)${bert.torch ? " vs PyTorch CPU" : ""}, batch ${bert.batch} padded to ${bert.padLengths.join('/')}`,
      `${bert.ratioToTorch ? x(bert.ratioToTorch) : '—'} (${bert.stepSeconds.toFixed(2)} s/step, ${bert.samplesPerSecond.toFixed(2)} samples/s, ${gb(bert.peakRssBytes)} peak RSS${versus}${cpu})`, bert.torch ? '≤ ×1.5' : '—', bert.ratioToTorch ? verdict(bert.ratioToTorch <= 1.5) : '—']);
    if (bert.kernelSeconds) rows.push([`7. ${model} ${name} step: where the time goes (tfjs kernels' self time, share of the mean step)`, kernelShares(bert), '—', '—']);
    if (bert.torch) {
      const memory = bert.peakRssBytes / bert.torch.peakRssBytes;
      rows.push([`7. ${model} ${name} step: peak RSS, wasm (Node) vs PyTorch CPU`, `${x(memory)} (${gb(bert.peakRssBytes)} vs ${gb(bert.torch.peakRssBytes)})`, '≤ ×1.2', verdict(memory <= 1.2)]);
    }
  }
  if (r.bertBase && r.bertBaseFull) {
    const [a, f] = [r.bertBase, r.bertBaseFull];
    const time = a.stepCpuSeconds / f.stepCpuSeconds;
    const memory = a.peakRssBytes / f.peakRssBytes;
    rows.push(['7. bert-base seq_bn rf 16 vs full fine-tuning (all encoder weights but the embedding tables), wasm (Node): step CPU time', `${x(time)} (${a.stepCpuSeconds.toFixed(2)} vs ${f.stepCpuSeconds.toFixed(2)} CPU s/step; wall ${a.stepSeconds.toFixed(2)} vs ${f.stepSeconds.toFixed(2)} s)`, '≤ ×0.35', verdict(time <= 0.35)]);
    rows.push(['7. bert-base seq_bn rf 16 vs full fine-tuning, wasm (Node): peak RSS', `${x(memory)} (${(a.peakRssBytes / 1e9).toFixed(2)} vs ${(f.peakRssBytes / 1e9).toFixed(2)} GB)`, '≤ ×0.5', verdict(memory <= 0.5)]);
  }
  if (r.debertaV3Base) rows.push(...debertaRows(r.debertaV3Base, r.bertBase));
  if (r.chromium) rows.push(...chromiumRows(r.chromium, 'Chromium (SwiftShader for WebGPU)'));
  if (r.chromiumGpu) rows.push(...chromiumRows(r.chromiumGpu, 'Chromium on a GPU (--gpu)'));
  const escapeCell = (cell) => String(cell).replace(/\|/g, '\\|');
  const lines = [
    `Bench of ${meta.date.slice(0, 10)} on this machine (${meta.cpus} CPU cores, no GPU; Node ${meta.node}; WebGPU = Dawn on SwiftShader, a CPU): \`npm run bench\` took ${meta.totalSeconds.toFixed(0)} s${meta.load ? `, load average ${meta.load.map((l) => l.toFixed(1)).join(' → ')}` : ''}.`,
    '',
    '| Figure | Result (ratio inside one run, absolute numbers beside) | Goal | |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ];
  const failed = Object.entries(failures);
  if (failed.length > 0) lines.push('', ...failed.map(([name, error]) => `- ${name} failed: ${error}`));
  return `${lines.join('\n')}\n`;
}
