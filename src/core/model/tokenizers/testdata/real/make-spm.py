# Trains the two small SentencePiece models here with Debian's python3-sentencepiece (0.1.97, Google's library)
# and writes goldens-spm.json.gz: the library's own piece ids for every corpus text, as XLM-RoBERTa's slow
# tokenizer uses them (fairseq layout: <s>=0 <pad>=1 </s>=2 <unk>=3, every other piece id + 1).
# Not run by the tests; regenerate with: apt-get install python3-sentencepiece && python3 make-spm.py
import gzip
import io
import json
import os

import sentencepiece as spm

here = os.path.dirname(os.path.abspath(__file__))
corpus = json.load(open(os.path.join(here, 'corpus.json'), encoding='utf-8'))
# Trained on the first 120 texts (English, accented Latin, Greek, Cyrillic...) so later scripts meet unknown pieces.
training = '\n'.join(t.replace('\n', ' ') for t in corpus['texts'][:120] if t.strip())

models = {
    # XLM-R's sentencepiece.bpe.model is a Unigram model despite its name; nmt_nfkc is its normaliser.
    'unigram': dict(model_type='unigram', vocab_size=1000, normalization_rule_name='nmt_nfkc'),
    'bpe': dict(model_type='bpe', vocab_size=1000, normalization_rule_name='identity'),
}
goldens = {'source': 'sentencepiece 0.1.97 (Debian python3-sentencepiece), see make-spm.py'}
for name, options in models.items():
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(training.split('\n')), model_writer=out,
                                   hard_vocab_limit=False, character_coverage=0.9995, **options)
    with open(os.path.join(here, f'spm-{name}.model'), 'wb') as f:
        f.write(out.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=out.getvalue())
    fairseq = lambda i: 3 if i == sp.unk_id() else i + 1
    goldens[name] = [[fairseq(i) for i in sp.encode(text)] for text in corpus['texts']]
with gzip.open(os.path.join(here, 'goldens-spm.json.gz'), 'wt', encoding='utf-8') as f:
    json.dump(goldens, f)
