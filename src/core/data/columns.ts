/** One dataset row as read: column name → cell (strings, numbers, booleans, null, lists, objects). */
export type Row = Record<string, unknown>;

/** What a column holds, as far as text classification cares. */
export type ColumnKind = 'string' | 'int' | 'float' | 'bool' | 'classLabel' | 'image' | 'audio' | 'list' | 'other';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** Class names of a ClassLabel column (or of a list of ClassLabels); a cell holds the index into this list. */
  classNames?: string[];
  /** The type as the source spells it, e.g. `Value(string)`, `ClassLabel`, `Image` (shown to the user). */
  type: string;
}

/** A `datasets` feature type as `/info`, `/first-rows` and parquet metadata give it. */
export interface Feature {
  _type?: string;
  dtype?: string;
  names?: string[];
  [key: string]: unknown;
}

function kindOfDtype(dtype: string): ColumnKind {
  if (dtype === 'string' || dtype === 'large_string') return 'string';
  if (/^u?int\d+$/.test(dtype)) return 'int';
  if (/^float\d+$/.test(dtype) || dtype === 'double') return 'float';
  if (dtype === 'bool') return 'bool';
  return 'other';
}

/** How a feature is spelled to the user: `Value(string)`, `ClassLabel`, `Sequence(ClassLabel)`, `List(Value(float32))`. */
function typeName(feature: Feature | Feature[] | undefined): string {
  if (feature === undefined) return '?';
  // Old `datasets` JSON writes a list feature as a one-element array of its item's feature.
  if (Array.isArray(feature)) return `List(${typeName(feature[0])})`;
  switch (feature._type) {
    case 'Value': return `Value(${feature.dtype ?? '?'})`;
    case 'Sequence':
    case 'List':
    case 'LargeList': return `${feature._type}(${typeName(feature.feature as Feature | undefined)})`;
    default: return feature._type ?? 'struct';
  }
}

/** Column info of one `datasets` feature. */
function columnOfFeature(name: string, feature: Feature | Feature[]): ColumnInfo {
  if (Array.isArray(feature)) return { name, kind: 'list', type: typeName(feature), ...(feature[0]?._type === 'ClassLabel' ? { classNames: feature[0].names ?? [] } : {}) };
  switch (feature._type) {
    case 'Value':
      return { name, kind: kindOfDtype(feature.dtype ?? ''), type: `Value(${feature.dtype ?? '?'})` };
    case 'ClassLabel':
      return { name, kind: 'classLabel', classNames: feature.names ?? [], type: 'ClassLabel' };
    case 'Image':
      return { name, kind: 'image', type: 'Image' };
    case 'Audio':
      return { name, kind: 'audio', type: 'Audio' };
    case 'Sequence':
    case 'List':
    case 'LargeList': {
      // A list of ClassLabels (conll's ner_tags) keeps its item's class names.
      const item = feature.feature as Feature | undefined;
      return { name, kind: 'list', type: typeName(feature), ...(item?._type === 'ClassLabel' ? { classNames: item.names ?? [] } : {}) };
    }
    default:
      return { name, kind: 'other', type: feature._type ?? 'struct' };
  }
}

/**
 * Columns from `datasets` features: a dict `{name: feature}` (`/info`, parquet "huggingface" metadata) or
 * the viewer's list `[{name, type}]` (`/first-rows`, `/rows`).
 */
export function columnsOfFeatures(features: Record<string, Feature> | { name: string; type: Feature }[]): ColumnInfo[] {
  return Array.isArray(features)
    ? features.map((f) => columnOfFeature(f.name, f.type))
    : Object.entries(features).map(([name, f]) => columnOfFeature(name, f));
}

function kindOfValue(value: unknown): ColumnKind {
  switch (typeof value) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint': return 'int';
    default: return Array.isArray(value) ? 'list' : 'other';
  }
}

/** Columns of rows without a schema (CSV, JSON): each column's kind from its non-null cells; mixed kinds read as text. */
export function inferColumns(rows: Row[]): ColumnInfo[] {
  const kinds = new Map<string, Set<ColumnKind>>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      const seen = kinds.get(name) ?? new Set<ColumnKind>();
      kinds.set(name, seen);
      if (value !== null && value !== undefined && value !== '') seen.add(kindOfValue(value));
    }
  }
  return [...kinds].map(([name, seen]) => {
    const kind: ColumnKind = seen.size === 0 ? 'string'
      : seen.size === 1 ? [...seen][0]
      : [...seen].every((k) => k === 'int' || k === 'float') ? 'float'
      : 'string';
    return { name, kind, type: kind === 'string' ? 'text' : kind };
  });
}

/** Plain cells: bigints (parquet INT64) become numbers so rows are JSON and labels compare as numbers. */
export function plainRow(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
  return out;
}
