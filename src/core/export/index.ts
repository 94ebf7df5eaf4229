/**
 * Export, import and push of adapters in the formats Python reads: the `adapters` library's save_adapter folder,
 * PEFT's save_pretrained folder, and a "continue in Python" project. Browser-safe; the Node file helpers are in
 * node-files.ts.
 */
export { ADAPTERHUB_FILE, ADAPTERS_VERSION, type AdapterHubOptions, adapterHubFiles } from './adapterhub.ts';
export { AdapterExportError, AdapterImportError, type AdapterImportProblem, HubPushError } from './errors.ts';
export { adapterExportOf, dataSplitsOf } from './from-adapter.ts';
export { type HubImportOptions, importAdapterFromHub } from './hub-import.ts';
export { type ImportOptions, fitAdapter, headOptionsFromConfig, importAdapter, importedStateDict } from './import.ts';
export { methodName, presetNameOf, readTrainingRecord } from './model-card.ts';
export { EXPORTABLE_MODEL_TYPES, modelTypeInfo } from './model-types.ts';
export { PEFT_FILE, type PeftSupport, peftFiles, peftSupport } from './peft.ts';
export { type PushOptions, type PushProgress, type PushResult, pushAdapterToHub } from './push.ts';
export { PROJECT_ADAPTER_DIR, PYTHON_REQUIREMENTS, pythonProjectFiles, trainingScript } from './python-project.ts';
export type { AdapterExport, AdapterFiles, AdapterSourceFormat, DataSplits, ExportTensor, ExportTensors, HeadExport, ImportedAdapter, TrainingHyperparameters, TrainingRecord } from './types.ts';
export { adapterFolderOf, unzipAdapterFiles, zipAdapterFiles } from './zip.ts';
