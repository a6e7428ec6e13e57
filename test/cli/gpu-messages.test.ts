/**
 * Dawn's and the Vulkan loader's own messages stay out of the user's terminal: `nlmc fit` prints one line of ours
 * about the back end (and, without an adapter, why and what to do), and `--verbose` lets the driver's messages through.
 * stderr is a shell pipe here (`nlmc fit ... 2>&1 | tee log`); a terminal behaves the same (checked by hand with
 * `script`). A regular file or a socket (what Node gives a child's 'pipe') is left alone: see
 * runtime/engine/webgpu/device.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nlmc-gpu-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A one-epoch fit of pk; `noDriver` points the Vulkan loader at a driver list that does not exist. */
function fit(noDriver: boolean, ...extra: string[]): { code: number; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['NLMC_VERBOSE'];
  if (noDriver) Object.assign(env, { VK_ICD_FILENAMES: join(dir, 'none.json'), VK_DRIVER_FILES: join(dir, 'none.json') });
  const args = [
    process.execPath, '--import', 'tsx', join(root, 'cli/main.ts'), 'fit', 'examples/pk/pk.nlm', '--data', 'examples/pk/data.csv', '--epochs', '1', '--no-uncertainty', '--quiet',
    '--out', join(dir, `fit-${noDriver}-${extra.length}`), ...extra,
  ];
  // nlmc's stderr into a shell pipe (its stdout thrown away), and the pipe's end to ours.
  const r = spawnSync('bash', ['-c', 'set -o pipefail; "$@" 2>&1 >/dev/null | cat', 'bash', ...args], { cwd: root, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status ?? -1, stderr: r.stdout };
}

const driverLines = (stderr: string): string[] => stderr.split('\n').filter((l) => /^Warning:|^\s+at \w+ \(|\.cpp:\d+/.test(l));

describe('the GPU driver’s messages', () => {
  it('without a Vulkan driver: one line of ours (CPU, why, what to do), nothing of Dawn’s; --verbose shows Dawn’s', () => {
    const quiet = fit(true);
    expect(quiet.code).toBe(0);
    expect(driverLines(quiet.stderr)).toEqual([]);
    expect(quiet.stderr).not.toContain('/home/runner');
    const backEnd = quiet.stderr.split('\n').filter((l) => l.startsWith('back end:'));
    expect(backEnd).toEqual([
      "back end: CPU (f64, TypeScript) (no WebGPU adapter: install Mesa's Vulkan driver (see README) or use --backend cpu; nlmc --verbose shows the driver's messages)",
    ]);
    const verbose = fit(true, '--verbose');
    expect(verbose.code).toBe(0);
    expect(driverLines(verbose.stderr).length).toBeGreaterThan(0);
    expect(verbose.stderr).toContain('back end: CPU (f64, TypeScript) (no WebGPU adapter');
  });

  it('with whatever adapter this machine has (lavapipe in CI): nothing of Dawn’s either', () => {
    const r = fit(false);
    expect(r.code).toBe(0);
    expect(driverLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/^back end: /m);
  });
});
