/**
 * Writing so that readers never see a half-written file, nor a folder that mixes two runs.
 *
 * `writeFileAtomic`: one file — a sibling temporary `<path>.tmp-<pid>`, then rename over.
 *
 * `writeFolderAtomic`: a whole run folder — every file is written into a new sibling folder `<dir>.tmp-<pid>`,
 * which then takes the place of `<dir>`: the old folder is renamed to `<dir>.old-<pid>`, the new one to `<dir>`,
 * the entries of the old folder that are not run files (the user's own files, a `predict/` subfolder) are moved
 * into the new one, and the old folder is removed. A kill at any point leaves `<dir>` holding one whole run (or,
 * between the two renames, no `<dir>` and the old run intact beside it); the next write into `<dir>` (or
 * `cleanFolderLeftovers`) restores or finishes what a dead process left (`<dir>.tmp-*`, `<dir>.old-*`, and
 * `*.tmp-*` files inside `<dir>`). Only leftovers of processes that no longer run are touched.
 *
 * Where the folder cannot or should not be renamed (a mount point, a parent folder without write permission, the
 * working directory, a folder with more than a few files of its own such as /tmp), the files are written in place,
 * each atomically, and run files the new run does not write are removed; `mode` says which way it went.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const processAlive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid in a `<name>.tmp-<pid>` / `<name>.old-<pid>` leftover of `name`, if `entry` is one. */
function leftoverPid(entry: string, name: string, kind: 'tmp' | 'old'): number | undefined {
  const prefix = `${name}.${kind}-`;
  if (!entry.startsWith(prefix)) return undefined;
  const pid = Number(entry.slice(prefix.length));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Why `dir` cannot take a run folder, or undefined when it can: checked before any work is done, so that a long
 * fit is not thrown away at the end. `dir` may exist (a folder we can write into) or not (then the nearest
 * existing ancestor must be a writable folder).
 */
export function outputFolderProblem(dir: string): string | undefined {
  if (dir.trim() === '') return 'the output folder name is empty';
  const full = resolve(dir);
  let target = full;
  if (existsSync(full)) {
    if (!statSync(full).isDirectory()) return `${dir} exists and is not a folder`;
  } else {
    target = dirname(full);
    while (!existsSync(target) && dirname(target) !== target) target = dirname(target);
    const st = statSync(target, { throwIfNoEntry: false });
    if (!st) return `${dir}: no existing folder above it`;
    if (!st.isDirectory()) return `${dir}: ${target} is not a folder`;
  }
  // Permissions alone do not tell (root, read-only or immutable file systems): try.
  const probe = join(target, `.nlmc-probe.tmp-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `${target === full ? dir : `${dir}: ${target}`} is not writable${code ? ` (${code})` : ''}`;
  }
  return undefined;
}

function moveEntries(from: string, to: string, keep: (entry: string) => boolean): void {
  for (const entry of readdirSync(from)) {
    if (!keep(entry) || existsSync(join(to, entry))) continue;
    renameSync(join(from, entry), join(to, entry));
  }
}

/**
 * Finishes or undoes what a dead process left around `dir` (see the header); `runFiles` are the names a run
 * writes (they are not carried over from an old folder).
 */
export function cleanFolderLeftovers(dir: string, runFiles: ReadonlySet<string>): void {
  const full = resolve(dir);
  const parent = dirname(full);
  const name = basename(full);
  if (!existsSync(parent)) return;
  const siblings = readdirSync(parent);
  for (const entry of siblings) {
    const pid = leftoverPid(entry, name, 'old');
    if (pid === undefined || processAlive(pid)) continue;
    const old = join(parent, entry);
    if (!existsSync(full)) {
      renameSync(old, full); // killed between the two renames: the old run comes back
    } else {
      moveEntries(old, full, (e) => !runFiles.has(e) && !/\.tmp-\d+$/.test(e));
      rmSync(old, { recursive: true, force: true });
    }
  }
  for (const entry of siblings) {
    const pid = leftoverPid(entry, name, 'tmp');
    if (pid !== undefined && !processAlive(pid)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
  if (existsSync(full) && statSync(full).isDirectory()) {
    for (const entry of readdirSync(full)) {
      const m = /\.tmp-(\d+)$/.exec(entry);
      if (m && !processAlive(Number(m[1]))) rmSync(join(full, entry), { recursive: true, force: true });
    }
  }
}

/** At most this many other entries (the user's files) are moved over from an old folder; beyond, the files are written in place. */
const MAX_FOREIGN_ENTRIES = 32;

/**
 * Whether `full` may be replaced as a whole: it does not exist, or it is a folder of a run (few other entries)
 * that is not the working directory or above it. `--out .` or `--out /tmp` are written in place: a folder that
 * other programs use is never renamed away, even for a moment.
 */
function swappable(full: string, runFiles: ReadonlySet<string>): boolean {
  if (!existsSync(full)) return true;
  const cwd = resolve(process.cwd());
  if (cwd === full || cwd.startsWith(`${full}/`)) return false;
  let foreign = 0;
  for (const entry of readdirSync(full)) if (!runFiles.has(entry) && ++foreign > MAX_FOREIGN_ENTRIES) return false;
  return true;
}

export interface FolderWrite {
  /** The paths written (`<dir>/<name>`, in the order given). */
  readonly written: string[];
  /** 'swap': the folder was replaced as a whole; 'in-place': it could not be renamed, the files were written one by one. */
  readonly mode: 'swap' | 'in-place';
}

/**
 * Replaces the run files of `dir` by `files` as a whole (see the header). `runFiles`: every name a run may write;
 * those of an old run that `files` lacks are not carried over.
 */
export function writeFolderAtomic(dir: string, files: ReadonlyArray<readonly [string, string]>, runFiles: ReadonlySet<string>): FolderWrite {
  let full = resolve(dir);
  if (existsSync(full) && lstatSync(full).isSymbolicLink()) full = realpathSync(full);
  const parent = dirname(full);
  mkdirSync(parent, { recursive: true });
  cleanFolderLeftovers(full, runFiles);
  const written = files.map(([name]) => join(dir, name));
  const stage = `${full}.tmp-${process.pid}`;
  let staged = false;
  if (swappable(full, runFiles)) {
    try {
      rmSync(stage, { recursive: true, force: true });
      mkdirSync(stage);
      staged = true;
    } catch {
      /* no write permission beside the folder: in place */
    }
  }
  if (staged) {
    try {
      for (const [name, text] of files) writeFileSync(join(stage, name), text);
      if (!existsSync(full)) {
        renameSync(stage, full);
        return { written, mode: 'swap' };
      }
      const old = `${full}.old-${process.pid}`;
      renameSync(full, old);
      try {
        renameSync(stage, full);
      } catch (e) {
        renameSync(old, full);
        throw e;
      }
      moveEntries(old, full, (e) => !runFiles.has(e));
      rmSync(old, { recursive: true, force: true });
      return { written, mode: 'swap' };
    } catch (e) {
      rmSync(stage, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EBUSY' && code !== 'EXDEV' && code !== 'EACCES' && code !== 'EPERM') throw e;
    }
  }
  mkdirSync(full, { recursive: true });
  for (const [name, text] of files) writeFileAtomic(join(full, name), text);
  const names = new Set(files.map(([n]) => n));
  for (const stale of runFiles) if (!names.has(stale)) rmSync(join(full, stale), { force: true });
  return { written, mode: 'in-place' };
}
