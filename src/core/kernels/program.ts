/**
 * Runs one of our WGSL programs through tfjs-backend-webgpu (`runWebGPUProgram`), so inputs and output stay tfjs
 * tensors on the GPU. tfjs prepends its header to the code: the output buffer `result`, one read-only
 * `array<f32>` per input named as in `variableNames`, the `uniforms` struct, and the builtins `localId`,
 * `localIndex`, `workgroupId` that its `_start` entry point sets before calling `main()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** A uniform value in the order of the program's `uniforms` declaration. */
export interface ProgramUniform {
  type: 'int32' | 'float32';
  data: number[];
}

/** Everything tfjs needs to compile and dispatch one WGSL program. */
export interface WgslProgramSpec {
  /** Pipeline cache key: must change whenever `code` does (tfjs appends the input ranks and dtypes). */
  key: string;
  /** WGSL names of the input buffers, in the order the tensors are passed. */
  variableNames: string[];
  /** Shape of `result`. */
  outputShape: number[];
  workgroupSize: [number, number, number];
  /** Workgroups along x, y, z. */
  dispatch: [number, number, number];
  /**
   * `flat`: tfjs calls `main(index : i32)` with the global invocation index (elementwise programs); `tiled`: it
   * calls `main()` and the program finds its work from `workgroupId` and `localId`.
   */
  entry: 'flat' | 'tiled';
  /** WGSL struct fields, e.g. `'M : i32, scaleValue : f32,'`. */
  uniforms?: string;
  /**
   * 4: every buffer (inputs and result) is declared array<vec4<f32>>, for elementwise programs whose sizes are
   * multiples of 4; `uniforms.size` then counts vec4s. Default 1: array<f32>.
   */
  components?: 1 | 4;
  code: string;
}

class SpecProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  shaderKey: string;
  readonly dispatchLayout: { x: number[]; y?: number[] };
  dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly uniforms?: string;
  readonly size?: boolean;
  readonly outputComponent?: number;
  readonly variableComponents?: number[];
  private readonly code: string;

  constructor(spec: WgslProgramSpec) {
    this.variableNames = spec.variableNames;
    this.outputShape = spec.outputShape;
    this.shaderKey = spec.key;
    // tfjs calls main(index) when the layout has no y axis, main() otherwise (the axes only name output dims).
    this.dispatchLayout = spec.entry === 'flat' ? { x: spec.outputShape.map((_, i) => i) } : { x: [1], y: [0] };
    if (spec.entry === 'tiled' && spec.outputShape.length !== 2) {
      throw new RangeError(`Program ${spec.key}: a tiled program's output must be 2-D, got [${spec.outputShape}].`);
    }
    this.dispatch = spec.dispatch;
    this.workgroupSize = spec.workgroupSize;
    this.uniforms = spec.uniforms;
    if (spec.entry === 'flat') this.size = true; // declares uniforms.size = the output's element count
    if (spec.components === 4) {
      this.outputComponent = 4;
      this.variableComponents = spec.variableNames.map(() => 4);
    }
    this.code = spec.code;
  }

  getUserCode(): string {
    return this.code;
  }
}

/** True when tfjs's active backend is webgpu, where our programs can run. */
export function onWebGpu(): boolean {
  return tf.getBackend() === 'webgpu';
}

/** The device limits of the active webgpu backend. */
export function webGpuLimits(): GPUSupportedLimits {
  return (tf.backend() as WebGPUBackend).device.limits;
}

/** Dispatches `spec` on the active webgpu backend and returns its output as a float32 tensor that stays on the GPU. */
export function runProgram(spec: WgslProgramSpec, inputs: tf.Tensor[], uniforms: ProgramUniform[] = []): tf.Tensor {
  if (!onWebGpu()) throw new Error(`WGSL program ${spec.key} needs the webgpu backend; the active backend is ${tf.getBackend()}.`);
  const backend = tf.backend() as WebGPUBackend;
  const info = backend.runWebGPUProgram(new SpecProgram(spec), inputs, 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(info);
}
