/**
 * Fills in the `dependency` lists of file descriptors made by @grpc/proto-loader. Those
 * files (one per protobuf package, e.g. `google_longrunning.proto`) list no dependencies,
 * and reflection clients such as grpcurl link each file only against the files it lists:
 * without them the first type from another package (`google.protobuf.Any`) fails to
 * resolve (grpc-node#3034).
 */
import descriptor from 'protobufjs/ext/descriptor/index.js';

type File = descriptor.IFileDescriptorProto;
type Message = descriptor.IDescriptorProto;

/** A type reference and the scope it is resolved in (protobuf's scoping rules). */
interface Reference {
  readonly scope: string;
  readonly name: string;
}

/** Adds the names a message declares (itself, nested messages and enums) and the references it makes. */
function visitMessage(message: Message, scope: string, symbols: string[], refs: Reference[]): void {
  const name = scope === '' ? (message.name ?? '') : `${scope}.${message.name ?? ''}`;
  symbols.push(name);
  for (const field of [...(message.field ?? []), ...(message.extension ?? [])]) {
    if (field.typeName) refs.push({ scope: name, name: field.typeName });
    if (field.extendee) refs.push({ scope: name, name: field.extendee });
  }
  for (const nested of message.nestedType ?? []) visitMessage(nested, name, symbols, refs);
  for (const e of message.enumType ?? []) symbols.push(`${name}.${e.name ?? ''}`);
}

/** The fully qualified names a file declares, and the type references it makes. */
function scan(file: File): { symbols: string[]; refs: Reference[] } {
  const pkg = file.package ?? '';
  const prefix = pkg === '' ? '' : `${pkg}.`;
  const symbols: string[] = [];
  const refs: Reference[] = [];
  for (const message of file.messageType ?? []) visitMessage(message, pkg, symbols, refs);
  for (const e of file.enumType ?? []) symbols.push(`${prefix}${e.name ?? ''}`);
  for (const service of file.service ?? []) {
    const scope = `${prefix}${service.name ?? ''}`;
    symbols.push(scope);
    for (const method of service.method ?? []) {
      if (method.inputType) refs.push({ scope, name: method.inputType });
      if (method.outputType) refs.push({ scope, name: method.outputType });
    }
  }
  for (const extension of file.extension ?? []) {
    if (extension.typeName) refs.push({ scope: pkg, name: extension.typeName });
    if (extension.extendee) refs.push({ scope: pkg, name: extension.extendee });
  }
  return { symbols, refs };
}

/** The declaring file of `ref`: absolute when it starts with '.', else searched outward from its scope. */
function resolve(ref: Reference, owners: ReadonlyMap<string, string>): string | undefined {
  if (ref.name.startsWith('.')) return owners.get(ref.name.slice(1));
  let scope = ref.scope;
  for (;;) {
    const owner = owners.get(scope === '' ? ref.name : `${scope}.${ref.name}`);
    if (owner !== undefined || scope === '') return owner;
    const dot = scope.lastIndexOf('.');
    scope = dot < 0 ? '' : scope.slice(0, dot);
  }
}

/**
 * Decodes `encoded` (serialized FileDescriptorProtos, the first of each name kept), sets
 * each file's `dependency` to the files declaring the types it references (besides those
 * it already lists), and returns them encoded again. A reference to a type in none of the
 * files is left as it is.
 */
export function withDependencies(encoded: readonly Uint8Array[]): Buffer[] {
  const files = new Map<string, File>();
  for (const bytes of encoded) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as File;
    if (!files.has(file.name ?? '')) files.set(file.name ?? '', file);
  }
  const owners = new Map<string, string>();
  const scanned = new Map<string, Reference[]>();
  for (const [name, file] of files) {
    const { symbols, refs } = scan(file);
    for (const symbol of symbols) if (!owners.has(symbol)) owners.set(symbol, name);
    scanned.set(name, refs);
  }
  return [...files].map(([name, file]) => {
    const dependencies = new Set(file.dependency ?? []);
    for (const ref of scanned.get(name) ?? []) {
      const owner = resolve(ref, owners);
      if (owner !== undefined && owner !== name) dependencies.add(owner);
    }
    const bytes = descriptor.FileDescriptorProto.encode({
      ...file,
      dependency: [...dependencies].sort(),
    }).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });
}
