import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';

const PROTOS = join(import.meta.dirname, '..', 'fixtures', 'protos');
const VENDORED = join(import.meta.dirname, '..', '..', 'protos');
const REFLECTION_PROTOS = join(
  dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
  'build',
  'proto',
);

/** A grpc-js client of `grpc.reflection.<version>.ServerReflection`, built from the protocol's own .proto. */
function reflectionClient(version: 'v1' | 'v1alpha', address: string): grpc.Client {
  const file = join(REFLECTION_PROTOS, 'grpc', 'reflection', version, 'reflection.proto');
  const pkg = protoLoader.loadSync(file, { keepCase: true, defaults: true, oneofs: true });
  const definition = pkg[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition;
  const Client = grpc.makeGenericClientConstructor(definition, 'ServerReflection');
  return new Client(address, grpc.credentials.createInsecure());
}

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}

/** Sends one request on a ServerReflectionInfo stream and resolves the first response. */
async function ask(client: grpc.Client, request: object): Promise<ReflectionResponse> {
  const info = (
    client as grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> }
  ).ServerReflectionInfo();
  const response = new Promise<ReflectionResponse>((resolve, reject) => {
    info.once('data', resolve);
    info.once('error', reject);
  });
  info.write(request);
  info.end();
  return response;
}

async function services(client: grpc.Client): Promise<string[]> {
  const response = await ask(client, { list_services: '*' });
  return (response.list_services_response?.service ?? []).map((s) => s.name).sort();
}

/** The names of the files a FileDescriptorResponse carries, and the message names in each. */
async function filesFor(client: grpc.Client, symbol: string): Promise<Map<string, string[]>> {
  const response = await ask(client, { file_containing_symbol: symbol });
  assert.equal(response.error_response, undefined, response.error_response?.error_message);
  const files = new Map<string, string[]>();
  for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as descriptor.IFileDescriptorProto;
    files.set(
      file.name ?? '',
      (file.messageType ?? []).map((m) => m.name ?? ''),
    );
  }
  return files;
}

/** The `dependency` list of each file a FileDescriptorResponse carries, by file name. */
async function dependenciesFor(client: grpc.Client, symbol: string): Promise<Map<string, string[]>> {
  const response = await ask(client, { file_containing_symbol: symbol });
  const files = new Map<string, string[]>();
  for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
    const file = descriptor.FileDescriptorProto.decode(bytes) as descriptor.IFileDescriptorProto;
    files.set(file.name ?? '', file.dependency ?? []);
  }
  return files;
}

const INVENTORY_PROTO =
  'syntax = "proto3";\npackage inventory.v1;\nimport "google/longrunning/operations.proto";\n' +
  'service Inventory { rpc Recount(RecountRequest) returns (google.longrunning.Operation); }\n' +
  'message RecountRequest { string warehouse = 1; }\nmessage RecountResult { int64 items = 1; }\n';

/** Writes the inventory.proto fixture into a fresh temporary folder; returns its path. */
function inventoryProto(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lro-reflection-')), 'inventory.proto');
  writeFileSync(file, INVENTORY_PROTO);
  return file;
}

describe('gRPC server reflection on the fake server', () => {
  let server: FakeOperationsServer;
  const clients: grpc.Client[] = [];
  const client = (version: 'v1' | 'v1alpha'): grpc.Client => {
    const c = reflectionClient(version, server.address);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await FakeOperationsServer.start({ protoFiles: [inventoryProto()] });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  it('lists the Operations and demo Exporter services and those of protoFiles, over v1 and v1alpha', async () => {
    const expected = [
      'google.longrunning.Operations',
      'inventory.v1.Inventory',
      'longrunning.demo.v1.Exporter',
    ];
    assert.deepEqual(await services(client('v1')), expected);
    assert.deepEqual(await services(client('v1alpha')), expected);
  });

  it('answers the file of a built-in type with the files its types come from (one file per package, as @grpc/reflection names them)', async () => {
    const files = await filesFor(client('v1'), 'longrunning.demo.v1.ExportMetadata');
    assert.deepEqual(files.get('longrunning_demo_v1.proto'), [
      'StartExportRequest',
      'ExportMetadata',
      'ExportResult',
    ]);
    assert.ok(files.has('google_longrunning.proto'), [...files.keys()].join(', '));
    assert.ok(files.has('google_protobuf.proto'), [...files.keys()].join(', '));
  });

  it('lists in each file the files its types come from, and sends them along, so a client can link them', async () => {
    const files = await dependenciesFor(client('v1'), 'longrunning.demo.v1.Exporter');
    assert.deepEqual(files.get('longrunning_demo_v1.proto'), ['google_longrunning.proto']);
    assert.deepEqual(files.get('google_longrunning.proto'), ['google_protobuf.proto', 'google_rpc.proto']);
    for (const [name, dependencies] of files) {
      for (const dependency of dependencies) assert.ok(files.has(dependency), `${name} needs ${dependency}`);
    }
  });

  it('describes the types of protoFiles', async () => {
    const files = await filesFor(client('v1'), 'inventory.v1.RecountResult');
    assert.deepEqual(files.get('inventory_v1.proto'), ['RecountRequest', 'RecountResult']);
  });

  it('lists a service added after start from the next reflection call on, with its types', async () => {
    const file = join(PROTOS, 'library', 'v1', 'library.proto');
    const pkg = protoLoader.loadSync(file, { includeDirs: [PROTOS, VENDORED] });
    server.addService(pkg['library.v1.Library'] as grpc.ServiceDefinition, {});
    assert.ok((await services(client('v1'))).includes('library.v1.Library'));
    const files = await filesFor(client('v1alpha'), 'library.v1.Library.StartBackup');
    assert.ok(files.get('library_v1.proto')?.includes('BackupMetadata'));
  });

  it('answers NOT_FOUND in the stream for an unknown symbol', async () => {
    const response = await ask(client('v1'), { file_containing_symbol: 'no.such.Type' });
    assert.equal(response.error_response?.error_code, grpc.status.NOT_FOUND);
  });

  it('rejects start with an error naming protoFiles when a file cannot be loaded', async () => {
    await assert.rejects(FakeOperationsServer.start({ protoFiles: [join(tmpdir(), 'no-such-file.proto')] }), {
      message: /^protoFiles: .*no-such-file\.proto/,
    });
  });
});

describe('gRPC server reflection on lro serve', () => {
  it('lists the built-in services and the services of --proto files', { timeout: 60_000 }, async (t) => {
    const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--proto', inventoryProto()], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGTERM'));
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /^listening on (\S+)\n/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`lro serve exited with ${code} before listening`)));
    });
    const client = reflectionClient('v1', address);
    t.after(() => client.close());
    assert.deepEqual(await services(client), [
      'google.longrunning.Operations',
      'inventory.v1.Inventory',
      'longrunning.demo.v1.Exporter',
    ]);
    const files = await filesFor(client, 'inventory.v1.RecountResult');
    assert.deepEqual(files.get('inventory_v1.proto'), ['RecountRequest', 'RecountResult']);
  });
});
