/**
 * The one place tests get a WebGPU device. Call `useGpu()` at the top level of a test file (top-level await) and
 * guard the GPU suites with `describe.skipIf(!gpu)`.
 *
 * Why here and not in each file: what happens without an adapter is a policy. In CI (`.ci/run` exports
 * NLMC_REQUIRE_WEBGPU=1, after installing Mesa's lavapipe) a missing adapter is a failure, so the kernel tests
 * cannot silently stop running; on a developer's machine without a Vulkan driver the GPU tests are skipped and the
 * reason is printed.
 *
 * Invariant: a device acquired here is destroyed after the file's tests (Dawn keeps the process alive otherwise).
 */
import { afterAll, test } from 'vitest';
import { acquireGpu, type GpuHandle } from '../../runtime/engine/webgpu/device.js';

/** True when a missing adapter must fail the run (CI). */
export const requireWebGpu = process.env.NLMC_REQUIRE_WEBGPU === '1';

/**
 * A device for this test file, or undefined when there is none; in that case a test is registered that fails
 * with the reason (NLMC_REQUIRE_WEBGPU=1) or is skipped with the reason in its name (otherwise).
 */
export async function useGpu(): Promise<GpuHandle | undefined> {
  const acquired = await acquireGpu();
  if ('device' in acquired) {
    afterAll(() => acquired.device.destroy());
    return acquired;
  }
  const reason = acquired.unavailable;
  if (requireWebGpu) {
    test('a WebGPU adapter is available (NLMC_REQUIRE_WEBGPU=1)', () => {
      throw new Error(`NLMC_REQUIRE_WEBGPU=1 but ${reason}`);
    });
  } else {
    console.warn(`[gpu tests] skipped: ${reason} (set NLMC_REQUIRE_WEBGPU=1 to make this a failure)`);
    test.skip(`WebGPU tests (skipped: ${reason})`, () => {});
  }
  return undefined;
}
