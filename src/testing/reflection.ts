/**
 * gRPC server reflection for the fake server (`grpc.reflection.v1` and `v1alpha`), so
 * grpcurl, `buf curl` and other reflection clients list, describe and call it. It
 * describes the built-in services (Operations and the demo Exporter, from the vendored
 * .proto files under protos/), the files of the server's `protoFiles`, and the files
 * behind each service added with `addService` whose definition carries descriptors (those
 * made by @grpc/proto-loader do).
 *
 * Files are described one per .proto file, named by import path, as protoc describes
 * them (file-descriptors.ts), custom options included, and combined into one set clients
 * can link (descriptor-set.ts). The set is built on the first reflection call after a
 * change, so a server nobody reflects on pays nothing for it.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Root } from 'protobufjs';
import { type LoadedProtos, loadProtoFiles } from '../proto/proto-files.js';
import { Code } from '../wire/code.js';
import { DescriptorSet } from './descriptor-set.js';
import { type DescribedFile, describeFiles } from './file-descriptors.js';
import { definitionFiles } from './loader-descriptors.js';
import { answer, type ReflectionRequest, reflectionDefinitions } from './reflection-protocol.js';

/** The files of the services the fake server always serves, with their import closure. */
const BUILTIN_FILES = [
  'google/longrunning/operations.proto',
  'google/rpc/error_details.proto',
  'google/rpc/code.proto',
  'longrunning/demo/v1/export.proto',
];

let builtin: { root: Root; files: DescribedFile[] } | undefined;

/** The built-in files, parsed with field names as written and described; built on first use and shared. */
function builtinFiles(): { root: Root; files: DescribedFile[] } {
  if (builtin === undefined) {
    const loaded = loadProtoFiles(BUILTIN_FILES, { keepCase: true });
    builtin = { root: loaded.root, files: describeFiles(loaded, loaded.root) };
  }
  return builtin;
}

/**
 * What one fake server describes through reflection. `create` loads `protoFiles` (for
 * the server's registry); `add` only records a definition; the descriptor set is rebuilt
 * lazily on the next reflection call.
 */
export class FakeReflection {
  /** The types of `protoFiles` (camelCase field names, as the registry takes them); undefined without any. */
  readonly protoRoot: Root | undefined;
  readonly #protoFiles: readonly string[];
  readonly #includeDirs: readonly string[];
  /** The descriptors of `protoFiles`, described on the first reflection call. */
  #protoDescriptors: DescribedFile[] | undefined;
  readonly #definitions: grpc.ServiceDefinition[] = [];
  #set: DescriptorSet | undefined;

  private constructor(protoFiles: readonly string[], includeDirs: readonly string[], root: Root | undefined) {
    this.#protoFiles = protoFiles;
    this.#includeDirs = includeDirs;
    this.protoRoot = root;
  }

  /**
   * Loads `protoFiles` (found as `registry.addProtoFiles` finds them: `includeDirs`, the
   * library's protos, google-proto-files, google-gax). Rejects with an Error whose message
   * starts with `protoFiles: ` when a file cannot be found or parsed.
   */
  static async create(
    protoFiles: readonly string[] = [],
    includeDirs: readonly string[] = [],
  ): Promise<FakeReflection> {
    let loaded: LoadedProtos | undefined;
    if (protoFiles.length > 0) {
      try {
        loaded = loadProtoFiles(protoFiles, { includeDirs });
      } catch (error) {
        throw new Error(`protoFiles: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    }
    return new FakeReflection(protoFiles, includeDirs, loaded?.root);
  }

  /**
   * Describes the files behind `definition`'s request and response types, when it carries
   * them (proto-loader definitions do; others are served but not described).
   */
  add(definition: grpc.ServiceDefinition): void {
    this.#definitions.push(definition);
    this.#set = undefined;
  }

  /**
   * Adds the v1 and v1alpha reflection services to `server`. Each request is answered
   * from the descriptor set current when it arrives; a set that cannot be built (a file
   * that does not describe) ends the call with INTERNAL naming the cause, not the server.
   */
  addToServer(server: grpc.Server): void {
    for (const definition of reflectionDefinitions()) {
      server.addService(definition, {
        ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, object>) => {
          call.on('data', (request: ReflectionRequest) => {
            let set: DescriptorSet;
            try {
              set = this.#current();
            } catch (error) {
              const message = error instanceof Error ? error.message : String(error);
              call.emit('error', { code: Code.INTERNAL, details: `reflection: ${message}` });
              return;
            }
            call.write(answer(request, set));
          });
          call.on('end', () => call.end());
        },
      });
    }
  }

  #current(): DescriptorSet {
    if (this.#set === undefined) {
      const { root, files } = builtinFiles();
      this.#protoDescriptors ??=
        this.#protoFiles.length === 0
          ? []
          : describeFiles(
              loadProtoFiles(this.#protoFiles, { includeDirs: this.#includeDirs, keepCase: true }),
              root,
            );
      const encoder = root.lookupType('google.protobuf.FileDescriptorProto');
      const added = this.#definitions.flatMap((d) =>
        definitionFiles(d, root).map((proto) => ({ proto, encoder })),
      );
      // Earlier files win: the vendored files describe the built-ins, real files the added services.
      this.#set = new DescriptorSet([...files, ...this.#protoDescriptors, ...added]);
    }
    return this.#set;
  }
}
