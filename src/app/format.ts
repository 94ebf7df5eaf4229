const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** 1234567 → "1.2M". */
export function formatCount(count: number): string {
  return compact.format(count);
}

/** Bytes as "1 GiB", "128 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const whole = new Intl.NumberFormat('en');

/** 168448 → "168,448". */
export function formatInteger(count: number): string {
  return whole.format(count);
}

/** A share as a percentage: 0.1234 → "12%". */
export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
