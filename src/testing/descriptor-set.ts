/**
 * The files gRPC reflection serves, combined from several sources (the built-in files,
 * a server's `protoFiles`, the definitions of added services) so that reflection clients
 * (grpcurl, `buf curl`, Python's descriptor database) can link them: each file and each
 * top-level name described once, the first source winning; each file's `dependency` list
 * naming the files its field types, extendees, method types and custom options come from;
 * no import cycle. Encoded once, and indexed for the reflection requests.
 */
import type { Type } from 'protobufjs';
import type { FileProto, MessageProto } from './descriptor-protos.js';
import type { DescribedFile } from './file-descriptors.js';

/** A type reference and the scope it is resolved in (protobuf's scoping rules). */
interface Reference {
  readonly scope: string;
  readonly name: string;
}

/** What one file declares and refers to. */
interface Scanned {
  readonly symbols: string[];
  readonly refs: Reference[];
  /** `[extendee, number]` of each extension the file declares. */
  readonly extensions: [string, number][];
}

/** `name` qualified by `scope`. */
function qualify(scope: string, name: string): string {
  return scope === '' ? name : `${scope}.${name}`;
}

/** The extensions an options object sets (its keys naming extension fields: '.google.api.http'). */
function optionRefs(options: Record<string, unknown> | undefined, refs: Reference[]): void {
  for (const key of Object.keys(options ?? {})) if (key.startsWith('.')) refs.push({ scope: '', name: key });
}

function scanMessage(message: MessageProto, scope: string, out: Scanned): void {
  const name = qualify(scope, message.name);
  out.symbols.push(name);
  optionRefs(message.options, out.refs);
  for (const field of message.field) {
    out.symbols.push(`${name}.${field.name}`);
    if (field.type_name) out.refs.push({ scope: name, name: field.type_name });
    optionRefs(field.options, out.refs);
  }
  for (const extension of message.extension) scanExtension(extension, name, out);
  for (const nested of message.nested_type) scanMessage(nested, name, out);
  for (const e of message.enum_type) {
    out.symbols.push(`${name}.${e.name}`);
    optionRefs(e.options, out.refs);
  }
}

function scanExtension(extension: FileProto['extension'][number], scope: string, out: Scanned): void {
  out.symbols.push(qualify(scope, extension.name));
  if (extension.type_name) out.refs.push({ scope, name: extension.type_name });
  if (extension.extendee) {
    out.refs.push({ scope, name: extension.extendee });
    out.extensions.push([extension.extendee.replace(/^\./, ''), extension.number]);
  }
  optionRefs(extension.options, out.refs);
}

function scan(file: FileProto): Scanned {
  const pkg = file.package ?? '';
  const out: Scanned = { symbols: [], refs: [], extensions: [] };
  for (const message of file.message_type) scanMessage(message, pkg, out);
  for (const e of file.enum_type) {
    out.symbols.push(qualify(pkg, e.name));
    optionRefs(e.options, out.refs);
  }
  for (const extension of file.extension) scanExtension(extension, pkg, out);
  for (const service of file.service) {
    const name = qualify(pkg, service.name);
    out.symbols.push(name);
    optionRefs(service.options, out.refs);
    for (const method of service.method) {
      out.symbols.push(`${name}.${method.name}`);
      out.refs.push({ scope: name, name: method.input_type }, { scope: name, name: method.output_type });
      optionRefs(method.options, out.refs);
    }
  }
  return out;
}

/** The declaring file of `ref`: absolute when it starts with '.', else searched outward from its scope. */
function resolve(ref: Reference, owners: ReadonlyMap<string, string>): string | undefined {
  if (ref.name.startsWith('.')) return owners.get(ref.name.slice(1));
  let scope = ref.scope;
  for (;;) {
    const owner = owners.get(qualify(scope, ref.name));
    if (owner !== undefined || scope === '') return owner;
    const dot = scope.lastIndexOf('.');
    scope = dot < 0 ? '' : scope.slice(0, dot);
  }
}

/** `file` without the top-level declarations `owners` already has; undefined when nothing is left. */
function withoutKnown(file: FileProto, owners: ReadonlyMap<string, string>): FileProto | undefined {
  const pkg = file.package ?? '';
  const fresh = <T extends { name: string }>(list: T[]): T[] =>
    list.filter((d) => !owners.has(qualify(pkg, d.name)));
  const kept = {
    ...file,
    message_type: fresh(file.message_type),
    enum_type: fresh(file.enum_type),
    service: fresh(file.service),
    extension: fresh(file.extension),
  };
  const count =
    kept.message_type.length + kept.enum_type.length + kept.service.length + kept.extension.length;
  return count === 0 ? undefined : kept;
}

/** Throws an Error naming a cycle of `dependencies`, if there is one. */
function checkAcyclic(dependencies: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      throw new Error(`the described files import each other in a cycle: ${cycle}`);
    }
    state.set(name, 'open');
    path.push(name);
    for (const dependency of dependencies.get(name) ?? []) visit(dependency);
    path.pop();
    state.set(name, 'done');
  };
  for (const name of dependencies.keys()) visit(name);
}

/** Encoded files with the indexes reflection answers from. */
export class DescriptorSet {
  /** Encoded FileDescriptorProto by file name. */
  readonly #bytes = new Map<string, Buffer>();
  /** Each file's dependencies. */
  readonly #dependencies = new Map<string, readonly string[]>();
  /** Declaring file by fully qualified name (no leading dot): messages, fields, enums, services, methods, extensions. */
  readonly #symbols = new Map<string, string>();
  /** Declaring file of each extension, by extendee (no leading dot) and field number. */
  readonly #extensions = new Map<string, Map<number, string>>();
  /** Fully qualified names of the services described. */
  readonly services: readonly string[];

  /**
   * Combines `files` in order: a file whose name an earlier one has is left out, and so
   * is each top-level declaration whose name an earlier file declares. Throws an Error
   * naming the cycle when the files would import each other, and protobufjs's Error when
   * a descriptor does not encode.
   */
  constructor(files: readonly DescribedFile[]) {
    const kept: { file: FileProto; encoder: Type; scanned: Scanned }[] = [];
    for (const { proto, encoder } of files) {
      if (this.#dependencies.has(proto.name)) continue;
      const file = withoutKnown(proto, this.#symbols);
      if (file === undefined) continue;
      const scanned = scan(file);
      for (const symbol of scanned.symbols)
        if (!this.#symbols.has(symbol)) this.#symbols.set(symbol, file.name);
      this.#dependencies.set(file.name, []);
      kept.push({ file, encoder, scanned });
    }
    for (const { file, scanned } of kept) {
      const dependencies = new Set(file.dependency);
      for (const ref of scanned.refs) {
        const owner = resolve(ref, this.#symbols);
        if (owner !== undefined && owner !== file.name) dependencies.add(owner);
      }
      this.#dependencies.set(file.name, [...dependencies].sort());
      for (const [extendee, number] of scanned.extensions) {
        const byNumber = this.#extensions.get(extendee) ?? new Map<number, string>();
        byNumber.set(number, file.name);
        this.#extensions.set(extendee, byNumber);
      }
    }
    checkAcyclic(this.#dependencies);
    for (const { file, encoder } of kept) {
      const bytes = encoder
        .encode(encoder.fromObject({ ...file, dependency: this.#dependencies.get(file.name) }))
        .finish();
      this.#bytes.set(file.name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    this.services = kept
      .flatMap(({ file }) => file.service.map((s) => qualify(file.package ?? '', s.name)))
      .sort();
  }

  /** The file named `name` and every file it depends on (each once, it first); undefined for an unknown name. */
  fileByName(name: string): Buffer[] | undefined {
    if (!this.#bytes.has(name)) return undefined;
    const order: string[] = [];
    const queue = [name];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (order.includes(next)) continue;
      order.push(next);
      queue.push(...(this.#dependencies.get(next) ?? []));
    }
    return order.flatMap((n) => this.#bytes.get(n) ?? []);
  }

  /** Like `fileByName`, for the file declaring `symbol` (fully qualified, leading dot optional). */
  fileContainingSymbol(symbol: string): Buffer[] | undefined {
    const file = this.#symbols.get(symbol.replace(/^\./, ''));
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** Like `fileByName`, for the file declaring extension `number` of `extendee`. */
  fileContainingExtension(extendee: string, number: number): Buffer[] | undefined {
    const file = this.#extensions.get(extendee.replace(/^\./, ''))?.get(number);
    return file === undefined ? undefined : this.fileByName(file);
  }

  /** The numbers of the extensions of message `typeName` the files declare; undefined when no file declares the type. */
  extensionNumbers(typeName: string): number[] | undefined {
    const name = typeName.replace(/^\./, '');
    if (!this.#symbols.has(name)) return undefined;
    return [...(this.#extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }
}
