/**
 * Scenario 5, install size: `npm pack` the library, install the tarball into an empty
 * folder, and measure its production node_modules; the same for google-gax@5.0.8. The two
 * folders are then used by the cold-start scenario, so it runs what a user installs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from './shared.ts';

/** The peer's version, pinned in bench/package.json too. */
export const GAX_VERSION = '5.0.8';

/** Sizes of one production install. */
export interface InstallSize {
  /** Disk usage of node_modules (`du -sk`), KiB. */
  diskKB: number;
  /** Sum of file sizes (`du -sk --apparent-size`), KiB. */
  apparentKB: number;
  /** Installed packages (folders with a package.json directly under node_modules or a scope). */
  packages: number;
  /** The largest packages by disk usage, KiB. */
  largest: { name: string; diskKB: number }[];
}

/** Both installs, their size ratio, and where they are. */
export interface InstallResult {
  ours: InstallSize & { tarballKB: number; tarballFiles: number; unpackedKB: number; ownDiskKB: number };
  gax: InstallSize;
  /** ours.diskKB / gax.diskKB. */
  ratio: number;
  /** Folders holding the installs (for the cold-start scenario). */
  dirs: { ours: string; gax: string };
}

const NPM_FLAGS = [
  '--no-audit',
  '--no-fund',
  '--omit=dev',
  '--prefer-offline',
  '--ignore-scripts',
  '--loglevel=error',
];

/** Runs npm in `cwd` without blocking (the run's other scenarios go on meanwhile); resolves its stdout. */
function npm(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`npm ${args.join(' ')} in ${cwd} failed: ${error.message}\n${stderr}`));
    });
  });
}

function du(path: string, apparent = false): number {
  const out = execFileSync('du', ['-sk', ...(apparent ? ['--apparent-size'] : []), path], {
    encoding: 'utf8',
  });
  return Number(out.split('\t')[0]);
}

/** Every installed package folder (nested node_modules included). */
function packageDirs(nodeModules: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(path);
        continue;
      }
      if (existsSync(join(path, 'package.json'))) found.push(path);
      visit(join(path, 'node_modules'));
    }
  };
  visit(nodeModules);
  return found;
}

function measure(dir: string): InstallSize {
  const nodeModules = join(dir, 'node_modules');
  const dirs = packageDirs(nodeModules);
  const top = dirs
    .filter((d) => !d.slice(nodeModules.length + 1).includes('node_modules'))
    .map((d) => ({ name: d.slice(nodeModules.length + 1), diskKB: du(d) }))
    .sort((a, b) => b.diskKB - a.diskKB)
    .slice(0, 5);
  return { diskKB: du(nodeModules), apparentKB: du(nodeModules, true), packages: dirs.length, largest: top };
}

/** Packs and installs both (at once) into `tmp`; rejects when an install lacks what it should hold. */
export async function measureInstalls(root: string, tmp: string): Promise<InstallResult> {
  // --ignore-scripts: `prepare` would rebuild dist/ (bench/run.ts built it fresh already)
  // under the workers that run from it meanwhile.
  const [packed] = JSON.parse(
    await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp, '--loglevel=error'], root),
  );
  const filename = String(packed.filename);
  const files: { path: string }[] = packed.files;
  check(
    files.some((f) => f.path === 'dist/index.js'),
    'the packed library has no dist/index.js (run npm run build)',
  );

  const ours = join(tmp, 'ours');
  const gax = join(tmp, 'gax');
  await Promise.all(
    (
      [
        [ours, join(tmp, filename)],
        [gax, `google-gax@${GAX_VERSION}`],
      ] as const
    ).map(([dir, spec]) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
      return npm(['install', ...NPM_FLAGS, spec], dir);
    }),
  );
  const ownPackage = JSON.parse(readFileSync(join(ours, 'node_modules/longrunning/package.json'), 'utf8'));
  check(ownPackage.name === 'longrunning', 'longrunning is not installed from the tarball');
  const gaxPackage = JSON.parse(readFileSync(join(gax, 'node_modules/google-gax/package.json'), 'utf8'));
  check(gaxPackage.version === GAX_VERSION, `google-gax ${gaxPackage.version} installed, not ${GAX_VERSION}`);

  const oursSize = measure(ours);
  const gaxSize = measure(gax);
  return {
    ours: {
      ...oursSize,
      tarballKB: Number(packed.size) / 1024,
      tarballFiles: files.length,
      unpackedKB: Number(packed.unpackedSize) / 1024,
      ownDiskKB: du(join(ours, 'node_modules/longrunning')),
    },
    gax: gaxSize,
    ratio: oursSize.diskKB / gaxSize.diskKB,
    dirs: { ours, gax },
  };
}
