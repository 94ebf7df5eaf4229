import { readableRepo } from './access.ts';
import { HubHttpError } from './http-error.ts';
import { type ParquetSplit, parquetLayout } from './parquet-dataset.ts';
import { PARQUET_REVISION, type RepoStore } from './repo-store.ts';
import type { RequestContext } from './request-context.ts';

const enc = encodeURIComponent;

/** `{base}/datasets/{id}/resolve/refs%2Fconvert%2Fparquet/{config}/{split}/{file}` */
export function parquetFileUrl(ctx: RequestContext, id: string, split: ParquetSplit, filename: string): string {
  return ctx.url(`/datasets/${id}/resolve/${enc(PARQUET_REVISION)}/${enc(split.config)}/${enc(split.split)}/${enc(filename)}`);
}

/** `{base}/api/datasets/{id}/parquet/{config}/{split}/{n}.parquet`, one per file of the split. */
function shardUrls(ctx: RequestContext, id: string, split: ParquetSplit): string[] {
  return split.shards.map((_, n) => ctx.url(`/api/datasets/${id}/parquet/${enc(split.config)}/${enc(split.split)}/${n}.parquet`));
}

const notFound = (what: string, id: string) =>
  new HubHttpError(404, `${what} not found in the parquet export of dataset ${id}.`, 'EntryNotFound');

/** `GET /api/datasets/{id}/parquet[/{config}[/{split}[/{n}.parquet]]]` (`rest` = segments after `parquet`). */
export async function serveParquetApi(store: RepoStore, ctx: RequestContext, id: string, rest: string[]): Promise<void> {
  const repo = await readableRepo(store, ctx, 'dataset', id);
  const layout = await parquetLayout((await store.parquet(repo)).files);
  const [configName, splitName, shardName, ...extra] = rest;
  if (configName === undefined) {
    const all = Object.fromEntries(layout.map((c) => [c.config, Object.fromEntries(c.splits.map((s) => [s.split, shardUrls(ctx, id, s)]))]));
    return ctx.sendJson(200, all);
  }
  const config = layout.find((c) => c.config === configName);
  if (!config) throw notFound(`Config "${configName}"`, id);
  if (splitName === undefined) {
    return ctx.sendJson(200, Object.fromEntries(config.splits.map((s) => [s.split, shardUrls(ctx, id, s)])));
  }
  const split = config.splits.find((s) => s.split === splitName);
  if (!split) throw notFound(`Split "${splitName}" of config "${configName}"`, id);
  if (shardName === undefined) return ctx.sendJson(200, shardUrls(ctx, id, split));
  const n = /^(\d+)\.parquet$/.exec(shardName);
  const shard = n && extra.length === 0 ? split.shards[Number(n[1])] : undefined;
  if (!shard) throw notFound(`File "${rest.join('/')}"`, id);
  await ctx.redirect(parquetFileUrl(ctx, id, split, shard.filename));
}
