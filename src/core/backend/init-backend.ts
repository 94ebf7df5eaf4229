import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { enableWasmGemm } from './wasm-gemm.ts';
import { registerWasmKernelOverrides } from './wasm-kernels.ts';
import { BACKEND_NAMES, type BackendInfo, type BackendName, type DeviceLostInfo, type GpuAdapterSummary, type GpuDeviceLimits } from './backend-info.ts';

/** Locations of the tfjs wasm binaries, keyed by file name (what `setWasmPaths` takes). */
export type WasmPaths = Partial<Record<
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>>;

export interface InitBackendOptions {
  /** The WebGPU entry point; defaults to `navigator.gpu`. Node can pass the `webgpu` package's `create([])`. */
  gpu?: GPU;
  /** Where the browser fetches the wasm binaries; Node's wasm backend reads them from its package without this. */
  wasmPaths?: WasmPaths;
  /** Told when the WebGPU device is lost after initialisation; the backend is unusable from then on. */
  onDeviceLost?: (lost: DeviceLostInfo) => void;
  /** Told about GPU validation or out-of-memory errors no one caught (e.g. a WGSL compile error). */
  onGpuError?: (message: string) => void;
  /**
   * Ask for at most this storage-buffer binding size (bytes) instead of the adapter's largest: tests request
   * WebGPU's guaranteed 128 MiB, what many GPUs report, on SwiftShader (which offers more).
   */
  maxStorageBufferBindingSize?: number;
}

/** No compute backend could be started, not even tfjs's plain-JavaScript cpu backend. */
export class BackendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
  }
}

/** A backend that cannot run here, with the reason the user is shown. */
class Unavailable extends Error {}

/** The device behind the active webgpu backend, kept so it can be destroyed on purpose. */
let activeDevice: GPUDevice | undefined;
/** Devices we destroyed ourselves, whose `lost` promise is not news. */
const retiredDevices = new WeakSet<GPUDevice>();

const DISPLAY_NAME: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'wasm', cpu: 'cpu' };

/**
 * Starts the fastest backend at or after `preference` in webgpu → wasm → cpu and makes it tfjs's active backend.
 * A skipped backend's reason lands in `fallbackReason`. For WebGPU we create the adapter and device ourselves,
 * asking for the adapter's largest buffer limits, and register tfjs's `WebGPUBackend` on that device.
 */
export async function initBackend(preference: BackendName = 'webgpu', options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(preference)) throw new TypeError(`Unknown backend "${preference}"; choose one of ${BACKEND_NAMES.join(', ')}.`);
  const order = BACKEND_NAMES.slice(BACKEND_NAMES.indexOf(preference));
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const info = await startBackend(name, options);
      return skipped.length ? { ...info, fallbackReason: skipped.join('; ') } : info;
    } catch (err) {
      if (!(err instanceof Unavailable)) throw new BackendError(`Starting the ${name} backend failed: ${messageOf(err)}`, { cause: err });
      skipped.push(`${DISPLAY_NAME[name]} unavailable: ${err.message}`);
    }
  }
  throw new BackendError(`No compute backend could start (${skipped.join('; ')}). Try another browser.`);
}

function startBackend(name: BackendName, options: InitBackendOptions): Promise<BackendInfo> {
  switch (name) {
    case 'webgpu': return startWebGPU(options);
    case 'wasm': return startWasm(options.wasmPaths);
    case 'cpu': return startCpu();
  }
}

async function startWebGPU(options: InitBackendOptions): Promise<BackendInfo> {
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new Unavailable('navigator.gpu is undefined (this browser or context has no WebGPU, or it is turned off)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Unavailable('no GPU adapter (navigator.gpu.requestAdapter() returned null: WebGPU is blocked or no usable GPU)');
  const max = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: Math.min(max.maxStorageBufferBindingSize, options.maxStorageBufferBindingSize ?? Number.POSITIVE_INFINITY),
        maxBufferSize: max.maxBufferSize,
        maxComputeWorkgroupStorageSize: max.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: max.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: max.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupsPerDimension: max.maxComputeWorkgroupsPerDimension,
      },
    });
  } catch (err) {
    throw new Unavailable(`the GPU adapter refused a device (${messageOf(err)})`);
  }
  device.lost.then((lost) => {
    if (!retiredDevices.has(device)) options.onDeviceLost?.({ reason: lost.reason ?? 'unknown', message: lost.message });
  });
  device.addEventListener('uncapturederror', (event) => options.onGpuError?.((event as GPUUncapturedErrorEvent).error.message));

  retireActiveDevice();
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
  if (!(await tf.setBackend('webgpu'))) {
    device.destroy();
    throw new Unavailable('tfjs could not start its WebGPU backend on the device');
  }
  activeDevice = device;
  return {
    name: 'webgpu',
    adapter: summariseAdapter(adapter),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
    },
  };
}

/** Software adapters implement WebGPU on the CPU: SwiftShader, or what the browser marks as a fallback adapter. */
function summariseAdapter(adapter: GPUAdapter): GpuAdapterSummary {
  const { vendor, architecture, description } = adapter.info;
  const fallbackFlag = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true
    || (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const softwareName = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i.test(`${vendor} ${architecture} ${description}`);
  return { vendor, architecture, description, isSoftware: fallbackFlag || softwareName };
}

function retireActiveDevice(): void {
  if (!activeDevice) return;
  retiredDevices.add(activeDevice);
  activeDevice.destroy();
  activeDevice = undefined;
}

async function startWasm(wasmPaths: WasmPaths | undefined): Promise<BackendInfo> {
  if (wasmPaths) setWasmPaths(wasmPaths);
  registerWasmKernelOverrides();
  if (!(await tf.setBackend('wasm'))) {
    throw new Unavailable('tfjs could not start its wasm backend (the .wasm binaries could not be fetched or compiled)');
  }
  const gemm = await enableWasmGemm();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean;
  // tfjs picks its threaded build where both hold (and no single wasmPath was set, which the studio never does).
  const threadedBuild = simd && await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') as boolean;
  const logicalCores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return {
    name: 'wasm',
    wasm: { simd, threads: getThreadsCount(), threadedBuild, ...(logicalCores ? { logicalCores } : {}), ...(gemm ? { matMul: gemm.startsWith('relaxed') ? 'relaxed-simd' as const : 'simd' as const } : {}) },
  };
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Unavailable('tfjs could not start its cpu backend');
  return { name: 'cpu' };
}

/** The active backend's name, with the WebGPU device's buffer limits: what a memory ceiling needs (train/memory-fit.ts). */
export function activeBackend(): { name: BackendName; limits?: GpuDeviceLimits } {
  const name = tf.getBackend() as BackendName;
  if (name !== 'webgpu' || !activeDevice) return { name };
  const { maxStorageBufferBindingSize, maxBufferSize } = activeDevice.limits;
  return { name, limits: { maxStorageBufferBindingSize, maxBufferSize } };
}

/**
 * Destroys the active WebGPU device without telling tfjs, as a driver reset would: `onDeviceLost` fires.
 * For testing the device-lost path only.
 */
export function loseDeviceForTesting(): void {
  if (!activeDevice || tf.getBackend() !== 'webgpu') {
    throw new BackendError(`There is no WebGPU device to lose: the active backend is ${tf.getBackend()}.`);
  }
  activeDevice.destroy();
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
