import type { Task } from '../train/trainable-model.ts';
import type { ColumnOverrides } from './column-mapping.ts';

/** A dataset the Data panel offers in one click, with the config and columns it needs. */
export interface DatasetPreset {
  /** Hub dataset id. */
  id: string;
  /** Config to read. */
  config: string;
  /** Short name in the picker. */
  title: string;
  /** What the task is, in a sentence. */
  description: string;
  /** Columns to map (the detection would find the same; naming them makes the preset exact). */
  columns: Required<Pick<ColumnOverrides, 'text' | 'label'>> & Pick<ColumnOverrides, 'textPair'>;
  task: Task;
  /** Class names as the dataset's ClassLabel gives them, shown before anything is loaded. */
  labelNames: string[];
  /** Lives on the offline demo Hub (fixtures) rather than huggingface.co. */
  demo: boolean;
}

/** Real Hub datasets for text classification (and question answering, token classification), with their current (namespaced) ids. */
export const HUB_PRESETS: readonly DatasetPreset[] = [
  {
    id: 'cornell-movie-review-data/rotten_tomatoes', config: 'default', title: 'Rotten Tomatoes',
    description: 'Movie review sentences, positive or negative (8.5k train; validation and test splits).',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['neg', 'pos'], demo: false,
  },
  {
    id: 'nyu-mll/glue', config: 'sst2', title: 'GLUE SST-2',
    description: 'Stanford Sentiment Treebank sentences (67k train); the test split has no labels, so validation is used.',
    columns: { text: 'sentence', label: 'label' }, task: 'classification', labelNames: ['negative', 'positive'], demo: false,
  },
  {
    id: 'nyu-mll/glue', config: 'mrpc', title: 'GLUE MRPC',
    description: 'Sentence pairs: is the second a paraphrase of the first? (3.7k train; unlabelled test).',
    columns: { text: 'sentence1', textPair: 'sentence2', label: 'label' }, task: 'classification', labelNames: ['not_equivalent', 'equivalent'], demo: false,
  },
  {
    id: 'stanfordnlp/imdb', config: 'plain_text', title: 'IMDb',
    description: 'Long movie reviews, positive or negative (25k train, 25k test; no validation split, so 10% of train is held out).',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['neg', 'pos'], demo: false,
  },
  {
    id: 'fancyzhx/amazon_polarity', config: 'amazon_polarity', title: 'Amazon Polarity',
    description: 'Amazon product reviews (3.6M train), streamed a row group at a time: cap the rows for a quick run.',
    columns: { text: 'content', label: 'label' }, task: 'classification', labelNames: ['negative', 'positive'], demo: false,
  },
  {
    id: 'fancyzhx/ag_news', config: 'default', title: 'AG News',
    description: 'News articles in four topics (120k train, 7.6k test).',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['World', 'Sports', 'Business', 'Sci/Tech'], demo: false,
  },
  {
    id: 'cardiffnlp/tweet_eval', config: 'sentiment', title: 'TweetEval sentiment',
    description: 'Tweets: negative, neutral or positive (45k train; validation and test splits).',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['negative', 'neutral', 'positive'], demo: false,
  },
  {
    id: 'rajpurkar/squad', config: 'plain_text', title: 'SQuAD',
    description: 'Extractive question answering: questions on Wikipedia paragraphs, the answer a span of the paragraph (88k train, 10.6k validation).',
    columns: { text: 'question', textPair: 'context', label: 'answers' }, task: 'questionAnswering', labelNames: [], demo: false,
  },
  {
    id: 'google-research-datasets/go_emotions', config: 'simplified', title: 'GoEmotions',
    description: 'Multi-label: Reddit comments with any of 27 emotions or neutral (43k train; validation and test splits).',
    columns: { text: 'text', label: 'labels' }, task: 'multiLabel', demo: false,
    labelNames: ['admiration', 'amusement', 'anger', 'annoyance', 'approval', 'caring', 'confusion', 'curiosity', 'desire', 'disappointment', 'disapproval', 'disgust', 'embarrassment', 'excitement', 'fear', 'gratitude', 'grief', 'joy', 'love', 'nervousness', 'optimism', 'pride', 'realization', 'relief', 'remorse', 'sadness', 'surprise', 'neutral'],
  },
  {
    id: 'allenai/swag', config: 'regular', title: 'SWAG',
    description: 'Multiple choice: a video caption\'s first sentence and the start of the next, four endings of which one is right (73.5k train, 20k validation; unlabelled test).',
    columns: { text: 'sent1', textPair: 'sent2', label: 'label' }, task: 'multipleChoice', labelNames: ['ending0', 'ending1', 'ending2', 'ending3'], demo: false,
  },
  {
    id: 'allenai/cosmos_qa', config: 'default', title: 'Cosmos QA',
    description: 'Multiple choice: a paragraph, a commonsense question about it and four answers of which one is right (25k train, 3k validation).',
    columns: { text: 'context', textPair: 'question', label: 'label' }, task: 'multipleChoice', labelNames: ['answer0', 'answer1', 'answer2', 'answer3'], demo: false,
  },
  {
    id: 'eriktks/conll2003', config: 'conll2003', title: 'CoNLL-2003 NER',
    description: 'Named entities in Reuters news: a tag per word, persons, organisations, locations and miscellaneous (14k train, 3.3k validation).',
    columns: { text: 'tokens', label: 'ner_tags' }, task: 'tokenClassification', labelNames: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'], demo: false,
  },
];

/** The offline demo Hub's datasets (src/fixtures), which imitate the presets above. */
export const DEMO_PRESETS: readonly DatasetPreset[] = [
  {
    id: 'adapter-studio/tiny-sentiment', config: 'default', title: 'Tiny sentiment (demo)',
    description: 'Film review sentences, like Rotten Tomatoes; train, validation and test.',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['negative', 'positive'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-sst2', config: 'sst2', title: 'Tiny SST-2 (demo)',
    description: 'GLUE SST-2 look-alike with an unlabelled test split.',
    columns: { text: 'sentence', label: 'label' }, task: 'classification', labelNames: ['negative', 'positive'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-topics', config: 'default', title: 'Tiny topics (demo)',
    description: 'Four news topics like AG News; no validation split.',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['World', 'Sports', 'Business', 'Sci/Tech'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-pairs', config: 'mrpc', title: 'Tiny pairs (demo)',
    description: 'Paraphrase sentence pairs like GLUE MRPC.',
    columns: { text: 'sentence1', textPair: 'sentence2', label: 'label' }, task: 'classification', labelNames: ['not_equivalent', 'equivalent'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-regression', config: 'stsb', title: 'Tiny similarity (demo)',
    description: 'Sentence pairs with a 0–5 similarity score like GLUE STS-B (regression).',
    columns: { text: 'sentence1', textPair: 'sentence2', label: 'label' }, task: 'regression', labelNames: [], demo: true,
  },
  {
    id: 'adapter-studio/tiny-string-labels', config: 'default', title: 'Tiny string labels (demo)',
    description: 'Sentences labelled with the strings negative / neutral / positive.',
    columns: { text: 'text', label: 'label' }, task: 'classification', labelNames: ['negative', 'neutral', 'positive'], demo: true,
  },
  {
    id: 'adapter-studio/large-sentiment', config: 'default', title: 'Large sentiment (demo)',
    description: '200k product reviews like Amazon Polarity, for streaming.',
    columns: { text: 'content', label: 'label' }, task: 'classification', labelNames: ['negative', 'positive'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-squad', config: 'plain_text', title: 'Tiny SQuAD (demo)',
    description: 'SQuAD look-alike: "when" / "how" questions on short news paragraphs, the answer a span (question answering).',
    columns: { text: 'question', textPair: 'context', label: 'answers' }, task: 'questionAnswering', labelNames: [], demo: true,
  },
  {
    id: 'adapter-studio/tiny-multilabel', config: 'simplified', title: 'Tiny multi-label (demo)',
    description: 'GoEmotions look-alike: news texts labelled with every topic they name (world, sports, business, science; multi-label).',
    columns: { text: 'text', label: 'labels' }, task: 'multiLabel', labelNames: ['world', 'sports', 'business', 'science'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-swag', config: 'regular', title: 'Tiny SWAG (demo)',
    description: 'SWAG look-alike: a news sentence and the start of the next, four endings of which the one on the same topic is right (multiple choice).',
    columns: { text: 'sent1', textPair: 'sent2', label: 'label' }, task: 'multipleChoice', labelNames: ['ending0', 'ending1', 'ending2', 'ending3'], demo: true,
  },
  {
    id: 'adapter-studio/tiny-ner', config: 'conll2003', title: 'Tiny NER (demo)',
    description: 'CoNLL-2003 look-alike: short news sentences with a tag per word (roles as PER, institutions as ORG, streets as LOC).',
    columns: { text: 'tokens', label: 'ner_tags' }, task: 'tokenClassification', labelNames: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'], demo: true,
  },
];
