/**
 * Getting a WebGPU device in Node, and asking it whether a WGSL module is valid.
 *
 * Why: the GPU kernels run through Dawn's Node bindings (package `webgpu`), which need a Vulkan driver. On
 * machines without a GPU, Mesa 25's lavapipe (software Vulkan) provides one; where nothing does, nlmc must say
 * why and fall back to the CPU back end instead of crashing (design: ARCHITECTURE.md, "Running WebGPU without a
 * GPU"). Tests use the same entry point, so a CI machine that should have an adapter fails loudly when it has none.
 *
 * Invariants:
 * - The `GPU` object that `create()` returns must outlive every adapter and device made from it: when it is
 *   garbage-collected while a device is alive, Dawn aborts the whole process ("The futex facility returned an
 *   unexpected error code", or a segmentation fault). This module therefore keeps each instance it creates in a
 *   module-level map for the life of the process; callers need not hold it.
 * - `XDG_RUNTIME_DIR` is set (to /tmp when unset) before the first instance is created; Mesa complains without it.
 * - A device is the caller's to destroy: Dawn keeps the Node process alive while one exists.
 * - Dawn's WebGPU globals (`GPUBufferUsage`, `GPUMapMode`, ...) are installed on `globalThis` where missing, so
 *   code written for the browser API works unchanged.
 * - Dawn and the Vulkan loader print their own warnings from native code, straight to file descriptor 2 (on
 *   lavapipe: "maxDynamicUniformBuffersPerPipelineLayout artificially reduced ..."; without a driver: "vkCreateInstance
 *   failed ... at CheckVkSuccessImpl (/home/runner/work/.../VulkanError.cpp:106)"). They are not the user's business:
 *   while the instance, adapter and device are made, fd 2 points at a temporary file (see `withNativeStderr`), and
 *   what they wrote is dropped. The caller's one line says what runs; `nlmc --verbose` (NLMC_VERBOSE=1) lets Dawn
 *   write to the terminal as it likes.
 */

import { closeSync, constants, fstatSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the process needs to report when no GPU can be had; the CLI prints it and uses the CPU back end. */
export const NO_ADAPTER_REASON =
  "no WebGPU adapter: install Mesa's Vulkan driver (see README) or use --backend cpu";

export interface GpuHandle {
  readonly device: GPUDevice;
  /** The adapter in words, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) (mesa, software)". */
  readonly adapterInfo: string;
}

export type GpuAcquisition = GpuHandle | { readonly unavailable: string };

export interface AcquireOptions {
  /** Dawn toggles for `create()`, e.g. ['backend=vulkan']; none by default (Dawn picks Vulkan on Linux). */
  readonly dawnOptions?: readonly string[];
  readonly adapter?: GPURequestAdapterOptions;
  /** Limits and features to request; the defaults of WebGPU's core feature level when absent. */
  readonly device?: GPUDeviceDescriptor;
}

/** Dawn instances by their options; never released (see the invariants above). */
const instances = new Map<string, GPU>();

type WebGpuModule = { create(options: string[]): GPU; globals: object };

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function describeAdapter(info: GPUAdapterInfo): string {
  const name = info.description || info.device || 'unknown adapter';
  const detail = [info.vendor, info.architecture].filter((s) => s).join(', ');
  return detail ? `${name} (${detail})` : name;
}

/** True when Dawn's own messages should reach the terminal: `nlmc --verbose`, or NLMC_VERBOSE=1. */
export function verboseGpu(): boolean {
  return process.env.NLMC_VERBOSE === '1';
}

/**
 * Runs `body` with file descriptor 2 pointing at a temporary file and returns what native code wrote there (Node
 * cannot dup2, but POSIX gives a newly opened file the lowest free descriptor: close 2, open the file, it is 2;
 * afterwards close 2 and reopen the original through /proc/self/fd, again as 2). `captured` is undefined when fd 2 was
 * left alone: --verbose, Windows, fd 2 a regular file (a second open file description would write at its own offset
 * over what shares the first, as in `>log 2>&1`) or one that cannot be reopened (a socket).
 *
 * Node's own stderr is unaffected on a terminal (libuv writes through a descriptor of its own); on a pipe, what
 * JavaScript writes to stderr during `body` lands in the file too, so nothing else should print meanwhile.
 */
async function withNativeStderr<T>(body: () => Promise<T>): Promise<{ value: T; captured?: string }> {
  const self = process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd';
  let saved: number | undefined;
  if (!verboseGpu() && process.platform !== 'win32') {
    try {
      if (!fstatSync(2).isFile()) saved = openSync(`${self}/2`, constants.O_WRONLY | (constants.O_NOCTTY ?? 0));
    } catch {
      saved = undefined;
    }
  }
  if (saved === undefined) return { value: await body() };
  const file = join(tmpdir(), `nlmc-dawn-${process.pid}-${Date.now()}.log`);
  const restore = (): void => {
    closeSync(2);
    const fd = openSync(`${self}/${saved}`, constants.O_WRONLY | (constants.O_NOCTTY ?? 0));
    if (fd !== 2) closeSync(fd); // another thread took 2 in between: nothing better to do than leave it
    closeSync(saved!);
  };
  closeSync(2);
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  } catch {
    restore();
    return { value: await body() };
  }
  if (fd !== 2) {
    closeSync(fd);
    restore();
    unlinkSync(file);
    return { value: await body() };
  }
  try {
    return { value: await body(), captured: readFileSync(file, 'utf8') };
  } finally {
    restore();
    unlinkSync(file);
  }
}

/**
 * A device from the default back end (Vulkan on Linux), or the reason there is none. Never throws for a missing
 * GPU or driver: the caller decides between failing and falling back to the CPU. Dawn's own messages are kept off
 * the terminal unless `verboseGpu()` (see the invariants above).
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<GpuAcquisition> {
  const { value, captured } = await withNativeStderr(() => acquire(options));
  if ('unavailable' in value && captured?.trim()) return { unavailable: `${value.unavailable}; nlmc --verbose shows the driver's messages` };
  return value;
}

async function acquire(options: AcquireOptions): Promise<GpuAcquisition> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let webgpu: WebGpuModule;
  try {
    webgpu = (await import('webgpu')) as WebGpuModule;
  } catch (e) {
    return { unavailable: `no WebGPU: Dawn's Node bindings (package webgpu) failed to load (${errorText(e)}); use --backend cpu` };
  }
  for (const [name, value] of Object.entries(webgpu.globals)) {
    if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
  }
  const key = (options.dawnOptions ?? []).join('\n');
  let gpu = instances.get(key);
  if (!gpu) {
    try {
      gpu = webgpu.create([...(options.dawnOptions ?? [])]);
    } catch (e) {
      return { unavailable: `no WebGPU: creating a Dawn instance failed (${errorText(e)}); use --backend cpu` };
    }
    instances.set(key, gpu);
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options.adapter);
  } catch (e) {
    return { unavailable: `${NO_ADAPTER_REASON} (${errorText(e)})` };
  }
  if (!adapter) return { unavailable: NO_ADAPTER_REASON };
  const adapterInfo = describeAdapter(adapter.info);
  try {
    const device = await adapter.requestDevice(options.device);
    return { device, adapterInfo };
  } catch (e) {
    return { unavailable: `the WebGPU adapter ${adapterInfo} refused a device (${errorText(e)}); use --backend cpu` };
  }
}

/** One compiler message; line and column are 1-based (0 when the message has no position, e.g. a pipeline error). */
export interface WgslMessage {
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly type: GPUCompilationMessageType;
}

export interface ValidateOptions {
  /**
   * Also build a compute pipeline whose entry point calls every function of the module (default true). Dawn's
   * front end (Tint) resolves and validates every declaration when the module is created, used or not (checked:
   * an out-of-range f32 literal in an uncalled function is reported); but only a pipeline runs the back end (Tint's
   * SPIR-V writer and the Vulkan driver's compiler) and checks the device's limits, and it compiles only what an
   * entry point reaches. Emitted model code has no entry point of its own, so this adds one.
   */
  readonly pipeline?: boolean;
  readonly label?: string;
}

async function compileModule(device: GPUDevice, code: string, label: string): Promise<{ module: GPUShaderModule; messages: WgslMessage[] }> {
  // The error scope keeps Dawn from printing the error as "uncaptured": the compilation info carries it.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  await device.popErrorScope();
  return { module, messages: info.messages.map((m) => ({ line: m.lineNum, column: m.linePos, message: m.message, type: m.type })) };
}

/** Removes comments, keeping line structure (only declarations are read from the result). */
function stripComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

/** Splits at commas outside <...> and (...). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '<' || ch === '(') depth++;
    else if (ch === '>' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const ENTRY_POINT = 'nlm_validate_all_functions';

/**
 * A compute entry point that calls every non-entry-point function with zero-valued arguments, or undefined when
 * there is none to call. Functions with a parameter that has no zero value (pointers, textures, samplers) are
 * left out.
 */
export function validationEntryPoint(code: string): string | undefined {
  const src = stripComments(code);
  const calls: string[] = [];
  const fnRe = /\bfn\s+([A-Za-z_]\w*)\s*\(/g;
  for (let m = fnRe.exec(src); m; m = fnRe.exec(src)) {
    const before = src.slice(Math.max(src.lastIndexOf('}', m.index), src.lastIndexOf(';', m.index), 0), m.index);
    if (/@(compute|vertex|fragment)\b/.test(before)) continue;
    let depth = 1;
    let i = fnRe.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '(') depth++;
      else if (src[i] === ')') depth--;
    }
    const params = splitTopLevel(src.slice(fnRe.lastIndex, i - 1)).map((p) => p.slice(p.indexOf(':') + 1).trim());
    if (params.some((t) => /^(ptr|texture|sampler)/.test(t))) continue;
    const returns = /^\s*->/.test(src.slice(i));
    const call = `${m[1]}(${params.map((t) => `${t}()`).join(', ')})`;
    calls.push(returns ? `  _ = ${call};` : `  ${call};`);
  }
  if (calls.length === 0) return undefined;
  return ['', '@compute @workgroup_size(1)', `fn ${ENTRY_POINT}() {`, ...calls, '}', ''].join('\n');
}

/**
 * Compiles `code` on `device` and returns every message (errors, warnings, info), in Dawn's order. Positions refer
 * to `code`. When the module itself is clean and `options.pipeline` is not false, a pipeline calling every function
 * is built as well (see ValidateOptions.pipeline); its failures come back as errors at line 0, column 0.
 */
export async function validateWgsl(device: GPUDevice, code: string, options: ValidateOptions = {}): Promise<WgslMessage[]> {
  const label = options.label ?? 'nlmc-validate';
  const first = await compileModule(device, code, label);
  if (options.pipeline === false || first.messages.some((m) => m.type === 'error')) return first.messages;
  const entry = validationEntryPoint(code);
  if (entry === undefined) return first.messages;

  const codeLines = code.split('\n').length;
  const full = await compileModule(device, code + entry, `${label} (entry point)`);
  // The model's own messages are already in `first`; keep only those about the added entry point.
  const harness = full.messages
    .filter((m) => m.line > codeLines)
    .map((m) => ({ ...m, line: 0, column: 0, message: `in the added entry point that calls every function: ${m.message}` }));
  if (full.messages.some((m) => m.type === 'error')) return [...first.messages, ...harness];
  try {
    await device.createComputePipelineAsync({ label, layout: 'auto', compute: { module: full.module, entryPoint: ENTRY_POINT } });
  } catch (e) {
    return [...first.messages, ...harness, { line: 0, column: 0, type: 'error', message: `pipeline creation failed: ${errorText(e)}` }];
  }
  return [...first.messages, ...harness];
}
