/**
 * gRPC server reflection for the fake server, so grpcurl and other reflection clients can
 * list and call it. `@grpc/reflection` answers both `grpc.reflection.v1` and
 * `grpc.reflection.v1alpha`; this file decides what it describes: the built-in services
 * (Operations and the demo Exporter, from the vendored .proto files under protos/), the
 * files of the server's `protoFiles`, and the files behind each service added with
 * `addService` whose definition carries descriptors (those made by @grpc/proto-loader do).
 *
 * The index is built on the first reflection call after a change, so a server nobody
 * reflects on pays nothing for it. Each file lists the files its types come from
 * (`file-dependencies.ts`), so clients can link what they download.
 */
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { Code } from '../wire/code.js';
import { withDependencies } from './file-dependencies.js';

/** The modules reflection needs, imported when the first fake server starts (not by every `lro` command). */
interface Modules {
  readonly loadSync: typeof protoLoader.loadSync;
  readonly ReflectionService: typeof import('@grpc/reflection').ReflectionService;
}

let modules: Modules | undefined;

async function loadModules(): Promise<Modules> {
  if (modules === undefined) {
    const [loader, reflection] = await Promise.all([
      import('@grpc/proto-loader'),
      import('@grpc/reflection'),
    ]);
    modules = { loadSync: loader.loadSync, ReflectionService: reflection.ReflectionService };
  }
  return modules;
}

/** The vendored protos shipped with the package (the same folder from src/ and dist/). */
const PROTO_DIR = join(import.meta.dirname, '..', '..', 'protos');

/** The files of the services the fake server always serves, with their import closure. */
const BUILTIN_FILES = [
  'google/longrunning/operations.proto',
  'google/rpc/error_details.proto',
  'google/rpc/code.proto',
  'longrunning/demo/v1/export.proto',
];

/** proto-loader options for descriptors only: field names as written in the files. */
const LOAD_OPTIONS: protoLoader.Options = { keepCase: true };

/** The reflection service handlers, by service path (one for v1, one for v1alpha). */
type Handlers = ReadonlyMap<string, grpc.UntypedServiceImplementation>;

let builtin: protoLoader.PackageDefinition | undefined;
let definitions: ReadonlyMap<string, grpc.ServiceDefinition> | undefined;

/** The built-in files as a package definition; loaded on first use and shared. */
function builtinPackage({ loadSync }: Modules): protoLoader.PackageDefinition {
  builtin ??= loadSync(BUILTIN_FILES, { ...LOAD_OPTIONS, includeDirs: [PROTO_DIR] });
  return builtin;
}

/** Registers `service`'s handlers on a stand-in server and returns them by service name. */
function capture(service: { addToServer(server: Pick<grpc.Server, 'addService'>): void }): {
  handlers: Map<string, grpc.UntypedServiceImplementation>;
  definitions: Map<string, grpc.ServiceDefinition>;
} {
  const handlers = new Map<string, grpc.UntypedServiceImplementation>();
  const defs = new Map<string, grpc.ServiceDefinition>();
  service.addToServer({
    addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) {
      const path = Object.values(definition)[0]?.path ?? '';
      handlers.set(path, implementation);
      defs.set(path, definition);
    },
  });
  return { handlers, definitions: defs };
}

/** A message or enum definition of proto-loader: the one kind of value that carries file descriptors. */
function hasDescriptors(value: unknown): value is protoLoader.MessageTypeDefinition<object, object> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { fileDescriptorProtos?: unknown }).fileDescriptorProtos)
  );
}

/**
 * What one fake server describes through reflection. `create` and `add` only record
 * sources; the reflection index is rebuilt lazily on the next reflection call.
 */
export class FakeReflection {
  readonly #modules: Modules;
  readonly #extra: protoLoader.PackageDefinition[] = [];
  #handlers: Handlers | undefined;

  private constructor(modules: Modules) {
    this.#modules = modules;
  }

  /**
   * Imports the reflection modules (once per process) and loads `protoFiles` (imports
   * resolved against `includeDirs`, then the vendored protos). Rejects with an Error
   * naming the `protoFiles` option when a file cannot be read or parsed.
   */
  static async create(
    protoFiles: readonly string[] = [],
    includeDirs: readonly string[] = [],
  ): Promise<FakeReflection> {
    const reflection = new FakeReflection(await loadModules());
    if (protoFiles.length > 0) {
      try {
        const options = { ...LOAD_OPTIONS, includeDirs: [...includeDirs, PROTO_DIR] };
        reflection.#extra.push(reflection.#modules.loadSync([...protoFiles], options));
      } catch (error) {
        throw new Error(`protoFiles: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    }
    return reflection;
  }

  /**
   * Describes the files behind `definition`'s request and response types, when it carries
   * them (proto-loader definitions do; others are served but not described).
   */
  add(definition: grpc.ServiceDefinition): void {
    const pkg: protoLoader.PackageDefinition = {};
    for (const [name, method] of Object.entries(definition)) {
      const types = method as { requestType?: unknown; responseType?: unknown };
      if (hasDescriptors(types.requestType)) pkg[`${name}.request`] = types.requestType;
      if (hasDescriptors(types.responseType)) pkg[`${name}.response`] = types.responseType;
    }
    if (Object.keys(pkg).length > 0) {
      this.#extra.push(pkg);
      this.#handlers = undefined;
    }
  }

  /**
   * Adds the v1 and v1alpha reflection services to `server`. Each call is handed to the
   * index current when the call starts.
   */
  addToServer(server: grpc.Server): void {
    definitions ??= capture(new this.#modules.ReflectionService({})).definitions;
    for (const [path, definition] of definitions) {
      server.addService(definition, {
        ServerReflectionInfo: (call: grpc.ServerDuplexStream<object, object>) => {
          let handler: grpc.handleBidiStreamingCall<object, object> | undefined;
          try {
            handler = this.#current().get(path)?.ServerReflectionInfo as typeof handler;
          } catch (error) {
            // A source that @grpc/reflection cannot index ends this call, not the server.
            const message = error instanceof Error ? error.message : String(error);
            call.emit('error', { code: Code.INTERNAL, details: `reflection index: ${message}` });
            return;
          }
          if (handler === undefined) {
            call.emit('error', { code: Code.UNIMPLEMENTED, details: `no reflection handler for ${path}` });
          } else handler(call);
        },
      });
    }
  }

  #current(): Handlers {
    if (this.#handlers === undefined) {
      // Earlier sources win for a file name, so the vendored files describe the built-ins.
      // @grpc/reflection reads only the files of each value: one value carries them all.
      const files = new Set<Buffer>();
      let carrier: protoLoader.MessageTypeDefinition<object, object> | undefined;
      for (const pkg of [builtinPackage(this.#modules), ...this.#extra]) {
        for (const value of Object.values(pkg)) {
          if (!hasDescriptors(value)) continue;
          carrier ??= value;
          for (const file of value.fileDescriptorProtos) files.add(file);
        }
      }
      const merged: protoLoader.PackageDefinition =
        carrier === undefined
          ? {}
          : { files: { ...carrier, fileDescriptorProtos: withDependencies([...files]) } };
      this.#handlers = capture(new this.#modules.ReflectionService(merged)).handlers;
    }
    return this.#handlers;
  }
}
