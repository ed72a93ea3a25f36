/**
 * Loading `.proto` files the way real API protos need: their imports of googleapis' common
 * files (`google/api/resource.proto`, `google/type/*`, `google/cloud/*`) resolve without
 * the caller naming a folder for them. The search path is the caller's include dirs, the
 * library's own protos/, then `google-proto-files` (an optional peer dependency: the
 * complete googleapis common protos) and google-gax's `build/protos` (every GAPIC
 * application has google-gax), each where the application has it installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Root } from 'protobufjs';
import protobuf from 'protobufjs/light.js';

/** The vendored protos shipped with the package (the same folder from src/ and dist/). */
export const BUILTIN_PROTO_DIR = join(import.meta.dirname, '..', '..', 'protos');

/** One folder of the search path and where it comes from, for error messages. */
export interface ProtoSource {
  /** What the folder is: 'includeDirs', 'longrunning', 'google-proto-files', 'google-gax'. */
  readonly label: string;
  /** The folder imports are joined to; undefined when the package is not installed. */
  readonly dir: string | undefined;
}

/** Packages searched after the library's own protos: the package name and its proto folder inside it. */
const PACKAGE_SOURCES: readonly { readonly name: string; readonly subdir: string }[] = [
  { name: 'google-proto-files', subdir: '' },
  { name: 'google-gax', subdir: join('build', 'protos') },
];

/**
 * Where packages are looked up by default: from this module (a peer dependency installed
 * beside the package) and from the working directory (an application that links the package).
 */
const DEFAULT_FROM: readonly string[] = [import.meta.dirname, process.cwd()];

/**
 * The proto folder of package `name` as Node would find the package from any of `from`
 * (the node_modules folders above each, then the global ones), or undefined. Reads the
 * file system only: no package code is loaded, and packages whose `exports` hide their
 * package.json (google-gax) are found too.
 */
function packageProtoDir(name: string, subdir: string, from: readonly string[]): string | undefined {
  for (const base of from) {
    for (const modules of createRequire(join(base, 'noop.js')).resolve.paths(name) ?? []) {
      const dir = join(modules, name, subdir);
      if (existsSync(join(modules, name, 'package.json')) && existsSync(dir)) return dir;
    }
  }
  return undefined;
}

/**
 * The folders imports are searched in, in order: `includeDirs`, the library's protos/,
 * then google-proto-files and google-gax's build/protos as found from `from` (default:
 * this package's location and the working directory). A package that is not installed
 * is listed with `dir: undefined`, so an error can say so.
 */
export function protoSources(
  includeDirs: readonly string[] = [],
  from: readonly string[] = DEFAULT_FROM,
): ProtoSource[] {
  return [
    ...includeDirs.map((dir) => ({ label: 'includeDirs', dir })),
    { label: 'longrunning', dir: BUILTIN_PROTO_DIR },
    ...PACKAGE_SOURCES.map(({ name, subdir }) => ({ label: name, dir: packageProtoDir(name, subdir, from) })),
  ];
}

/** The error for an import found nowhere: the file, who imports it, every folder searched, and the fix. */
function notFound(target: string, importedBy: string | undefined, sources: readonly ProtoSource[]): Error {
  const searched = sources
    .map((s) => (s.dir === undefined ? `${s.label} (not installed)` : `${s.dir} (${s.label})`))
    .join(', ');
  const by = importedBy === undefined ? '' : ` (imported by ${importedBy})`;
  return new Error(
    `cannot find ${JSON.stringify(target)}${by}; searched ${searched}. ` +
      'Pass the folder that holds it in includeDirs (-I for lro), or, for googleapis common protos ' +
      '(google/api, google/type, google/cloud, ...), install them: npm install google-proto-files',
  );
}

/** Options of `loadProtoFiles`. */
export interface LoadProtoOptions {
  /** Folders searched first for the files and their imports. */
  readonly includeDirs?: readonly string[] | undefined;
  /**
   * Keep field names as written (true: for file descriptors; the well-known types are then
   * parsed from the library's .proto files too) or camelCase them (false, default: the registry's).
   */
  readonly keepCase?: boolean;
  /** Where google-proto-files and google-gax are looked up (see `protoSources`). */
  readonly from?: readonly string[];
}

/** Files parsed into one protobufjs root, and the import path each came from. */
export interface LoadedProtos {
  /** The resolved root holding every type of the files and their imports. */
  readonly root: Root;
  /**
   * The import path (`google/api/http.proto`) of a file as protobufjs names it
   * (`ReflectionObject.filename`, the path it was read from); a top-level file outside
   * every searched folder keeps the path it was given.
   */
  importName(filename: string): string;
}

/**
 * Loads protobufjs's .proto parser, which the light build the rest of the library uses
 * leaves out (a third of protobufjs's load time): the full entry point adds it to the same
 * `Root` class. Only loading .proto text pays for the parser.
 */
function loadProtoParser(): typeof import('protobufjs') {
  return createRequire(import.meta.url)('protobufjs');
}

/**
 * Parses the library's own copies of the well-known type files that protobufjs otherwise
 * takes from its bundled JSON (any, duration, timestamp, ...), whose objects carry no file
 * name and camelCase field names whatever `keepCase` says. Recorded as loaded, so imports
 * of them are not fetched again; `names` learns their import paths.
 */
function parseWellKnown(full: typeof import('protobufjs'), root: Root, names: Map<string, string>): void {
  for (const name of Object.keys(full.common).filter((k) => k.endsWith('.proto'))) {
    const path = join(BUILTIN_PROTO_DIR, name);
    if (!existsSync(path)) continue;
    // The parser stamps `filename` on what it creates from this static (untyped) property.
    Reflect.set(full.parse, 'filename', path);
    full.parse(readFileSync(path, 'utf8'), root, { keepCase: true });
    root.files.push(name);
    names.set(path, name);
  }
}

/**
 * Parses `files` (synchronously) and every file they import into a new resolved root.
 * A file is looked up as given when absolute, else in each folder of `protoSources`, then
 * beside the file importing it. Throws an Error naming the file, its importer, the folders
 * searched and the fix when it is found nowhere, and protobufjs's Error for a file that
 * does not parse or a type that does not resolve.
 */
export function loadProtoFiles(files: readonly string[], options: LoadProtoOptions = {}): LoadedProtos {
  const sources = protoSources(options.includeDirs, options.from);
  const dirs = sources.flatMap((s) => (s.dir === undefined ? [] : [s.dir]));
  const names = new Map<string, string>();
  const full = loadProtoParser();
  const root = new protobuf.Root();
  if (options.keepCase === true) parseWellKnown(full, root, names);
  root.resolvePath = (origin, target) => {
    const found = locate(origin, target, dirs);
    if (found === undefined) throw notFound(target, origin === '' ? undefined : names.get(origin), sources);
    if (!names.has(found.path)) names.set(found.path, found.name);
    return found.path;
  };
  root.loadSync([...files], { keepCase: options.keepCase === true });
  root.resolveAll();
  return { root, importName: (filename) => names.get(filename) ?? filename };
}

/** The path of `target` imported by `origin` ('' for a top-level file), and its import name; undefined when absent. */
function locate(
  origin: string,
  target: string,
  dirs: readonly string[],
): { path: string; name: string } | undefined {
  if (isAbsolute(target)) {
    if (!existsSync(target)) return undefined;
    const dir = dirs.find(
      (d) => !relative(d, target).startsWith(`..${sep}`) && !isAbsolute(relative(d, target)),
    );
    return { path: target, name: dir === undefined ? target : relative(dir, target).split(sep).join('/') };
  }
  for (const dir of dirs) {
    const path = join(dir, target);
    if (existsSync(path)) return { path, name: target };
  }
  const beside = origin === '' ? target : join(dirname(origin), target);
  return existsSync(beside) ? { path: beside, name: target } : undefined;
}
