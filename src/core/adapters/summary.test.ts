/**
 * adapter_summary from the configs alone, checked against parameter counts worked out by hand from each
 * method's module shapes (comments give the formula), and against the table the library's format strings print.
 */
import { describe, expect, it } from 'vitest';
import { parseEncoderConfig } from '../model/config.ts';
import { adapterSummary, adapterSummaryRows, baseModelParameters } from './summary.ts';

const bertBase = parseEncoderConfig({
  model_type: 'bert', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  vocab_size: 30522, max_position_embeddings: 512, type_vocab_size: 2,
}, 'bert-base-uncased');

/** Linear(in, out) parameters. */
const lin = (inputs: number, outputs: number) => inputs * outputs + outputs;
const L = 12;
const H = 768;
const I = 3072;

/** bert-base-uncased's BertModel: embeddings (30522 + 512 + 2 rows, LayerNorm), 12 layers, pooler = 109,482,240. */
const BERT_BASE = (30522 + 512 + 2) * H + 2 * H + L * (4 * lin(H, H) + lin(H, I) + lin(I, H) + 4 * H) + lin(H, H);

const count = (config: string) => adapterSummaryRows(config, bertBase)[0].params;

describe('adapterSummary on bert-base from the config alone', () => {
  it('counts the base model as BertModel with pooler: 109,482,240', () => {
    expect(BERT_BASE).toBe(109_482_240);
    expect(baseModelParameters(bertBase)).toBe(BERT_BASE);
  });

  it('seq_bn rf 16: 894,528 parameters; %param relative to the base model without adapters', () => {
    // 12 · (down 768·48 + 48 + up 48·768 + 768).
    expect(count('seq_bn')).toBe(894_528);
    const rows = adapterSummaryRows('seq_bn', bertBase, { name: 'sst-2' });
    expect(rows[0]).toMatchObject({ name: 'sst-2', architecture: 'bottleneck', active: true, train: true });
    expect(rows[0].percent).toBeCloseTo((894_528 / 109_482_240) * 100, 12);
    expect(rows[1]).toEqual({ name: 'Full model', params: 109_482_240, percent: 100, train: false });
  });

  it('prints the table adapter_summary() prints', () => {
    // The library's format strings applied in CPython to these rows.
    const expected = [
      '='.repeat(80),
      'Name                     Architecture         #Param      %Param  Active   Train',
      '-'.repeat(80),
      'sst-2                    bottleneck          894,528       0.817       1       1',
      '-'.repeat(80),
      'Full model                               109,482,240     100.000               0',
      '='.repeat(80),
    ].join('\n');
    expect(adapterSummary('seq_bn', bertBase, { name: 'sst-2' })).toBe(expected);
  });

  it('matches hand-worked counts for the other methods', () => {
    const seqBn = L * (lin(H, 48) + lin(48, H));
    expect(count('lora')).toBe(294_912); // 12 · 2 (q, v) · (8·768 + 768·8)
    expect(count('ia3')).toBe(55_296); // 12 · (768 key + 768 value + 3072 intermediate)
    expect(count('double_seq_bn')).toBe(2 * seqBn);
    expect(count('par_bn')).toBe(L * (lin(H, 384) + lin(384, H))); // rf 2
    expect(count('scaled_par_bn')).toBe(L * (lin(H, 384) + lin(384, H) + 1)); // + learned scalar
    expect(count('seq_bn[scaling="channel", ln_before=True, use_gating=True]')).toBe(seqBn + L * (H + 2 * H + lin(H, 1)));
    // PHM: down W_left 4·192·1 + W_right 4·1·6 + b 24, up W_left 4·6·1 + W_right 4·1·192 + b 768; one shared 4·4·4 rule.
    const phmAdapter = (4 * 192 + 4 * 6 + 24) + (4 * 6 + 4 * 192 + 768);
    expect(count('compacter')).toBe(2 * L * phmAdapter + 64);
    expect(count('compacter++')).toBe(L * phmAdapter + 64);
    // Prefix: wte 30·768, Linear(768, 512), Linear(512, 12·2·768).
    const prefix = (P: number, b: number) => P * H + lin(H, b) + lin(b, L * 2 * H);
    expect(count('prefix_tuning')).toBe(prefix(30, 512));
    expect(count('prefix_tuning')).toBe(9_872_384);
    expect(count('prefix_tuning_flat')).toBe(30 * L * 2 * H);
    expect(count('prefix_tuning[leave_out=[0, 1]]')).toBe(30 * H + lin(H, 512) + lin(512, 10 * 2 * H));
    expect(count('prompt_tuning')).toBe(10 * H);
    expect(count('mam')).toBe(prefix(30, 800) + L * (lin(H, 384) + lin(384, H)));
    // UniPELT: prefix (P 10) + a Linear(768, 1) gate per layer; seq_bn + gate; LoRA r 8 on q, v + a gate each.
    expect(count('unipelt')).toBe(prefix(10, 512) + L * lin(H, 1) + seqBn + L * lin(H, 1) + L * 2 * (8 * H + H * 8 + lin(H, 1)));
    expect(count("seq_bn[reduction_factor={'0': 8, 'default': 16}]")).toBe(seqBn + lin(H, 96) + lin(96, H) - lin(H, 48) - lin(48, H));
  });

  it('reports architecture names and train flags as the library does', () => {
    expect(adapterSummaryRows('ia3', bertBase)[0].architecture).toBe('lora');
    expect(adapterSummaryRows('mam', bertBase)[0].architecture).toBe('union');
    expect(adapterSummaryRows('prefix_tuning', bertBase)[0].architecture).toBe('prefix_tuning');
    // learn_phm = False leaves the shared rule without requires_grad, so the adapter row shows train 0.
    expect(adapterSummaryRows('compacter[learn_phm=False]', bertBase)[0].train).toBe(false);
    expect(adapterSummaryRows('seq_bn', bertBase, { modelFrozen: false })[1].train).toBe(true);
  });
});

describe('other families', () => {
  it('roberta-base counts its pooler (RobertaAdapterModel builds one): 124,645,632', () => {
    const roberta = parseEncoderConfig({ model_type: 'roberta', vocab_size: 50265, max_position_embeddings: 514, type_vocab_size: 1, pad_token_id: 1 }, 'roberta-base');
    expect(baseModelParameters(roberta)).toBe(124_645_632);
    expect(adapterSummaryRows('seq_bn', roberta)[0].params).toBe(894_528);
  });

  it('distilbert-base: 66,362,880 base parameters, 6 layers of adapters', () => {
    const distil = parseEncoderConfig({ model_type: 'distilbert', vocab_size: 30522 }, 'distilbert-base-uncased');
    expect(baseModelParameters(distil)).toBe(66_362_880);
    expect(adapterSummaryRows('lora', distil)[0].params).toBe(6 * 2 * (8 * H + H * 8));
  });
});
