/** The offline, Hub-compatible HTTP server: Hub files and API, dataset viewer API, uploads, fault injection. */
export { createHubHandler } from './handler.ts';
export { startHubServer } from './server.ts';
export { PARQUET_REVISION, type RepoMeta } from './repo-store.ts';
export type { HubFaults, HubHandler, HubHandlerOptions, HubServerOptions, HubStats, PathStats, RepoType, RunningHubServer } from './types.ts';
