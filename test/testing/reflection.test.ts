import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { loadProtoFiles } from '../../src/proto/proto-files.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';

const repo = join(import.meta.dirname, '..', '..');
const PROTOS = join(repo, 'test', 'fixtures', 'protos');
const VENDORED = join(repo, 'protos');
const SPEECH_PROTOS = join(repo, 'node_modules', '@google-cloud', 'speech', 'build', 'protos');
const SPEECH_V2 = 'google/cloud/speech/v2/cloud_speech.proto';
const CATALOG = 'catalog/v1/catalog.proto';
const BUF = join(repo, 'node_modules', '.bin', 'buf');
/** grpc's own reflection.proto files (from @grpc/reflection): a client schema this project did not write. */
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

/** The encoded files of a FileDescriptorResponse for `symbol`, by name in the order sent (the declaring file first). */
async function filesFor(client: grpc.Client, symbol: string): Promise<Map<string, Buffer>> {
  const response = await ask(client, { file_containing_symbol: symbol });
  assert.equal(response.error_response, undefined, response.error_response?.error_message);
  const files = new Map<string, Buffer>();
  for (const bytes of response.file_descriptor_response?.file_descriptor_proto ?? []) {
    const { name } = descriptor.FileDescriptorProto.decode(bytes) as descriptor.IFileDescriptorProto;
    files.set(name ?? '', bytes);
  }
  return files;
}

/** descriptor.proto's types with the option extensions of the built-in files (field names as written). */
const WITH_OPTIONS = loadProtoFiles(
  ['google/longrunning/operations.proto', 'google/api/field_behavior.proto'],
  {
    keepCase: true,
  },
).root.lookupType('google.protobuf.FileDescriptorProto');

interface FileObject {
  name: string;
  dependency?: string[];
  message_type?: MessageObject[];
  service?: { name: string; method: { name: string; options?: Record<string, unknown> }[] }[];
}
interface MessageObject {
  name: string;
  field?: {
    name: string;
    type_name?: string;
    proto3_optional?: boolean;
    oneof_index?: number;
    options?: object;
  }[];
  nested_type?: MessageObject[];
  oneof_decl?: { name: string }[];
  extension_range?: { start: number; end: number }[];
}

/** Whether a decoded object is a file (the parts these tests read are checked where they are read). */
function isFile(x: unknown): x is FileObject {
  return typeof x === 'object' && x !== null && 'name' in x && typeof x.name === 'string';
}

/**
 * The FileDescriptorProtos served for `symbols` (each with the files it depends on), in the
 * order sent, decoded with the options the built-in files declare (field names as written).
 */
async function describedFiles(client: grpc.Client, ...symbols: string[]): Promise<Map<string, FileObject>> {
  const all = new Map<string, FileObject>();
  for (const symbol of symbols) {
    for (const [name, bytes] of await filesFor(client, symbol)) {
      const file: unknown = WITH_OPTIONS.toObject(WITH_OPTIONS.decode(bytes), {
        enums: String,
        longs: Number,
      });
      assert.ok(isFile(file));
      all.set(name, file);
    }
  }
  return all;
}

function message(file: FileObject | undefined, name: string): MessageObject | undefined {
  return file?.message_type?.find((m) => m.name === name);
}

function method(
  file: FileObject | undefined,
  service: string,
  name: string,
): Record<string, unknown> | undefined {
  return file?.service?.find((s) => s.name === service)?.method.find((m) => m.name === name)?.options;
}

/** Runs `buf curl --reflect` (asynchronously: the server may live in this process); resolves its exit code and output. */
function bufCurl(
  address: string,
  path: string,
  body: string,
  ...flags: string[]
): Promise<{ code: number; out: string }> {
  const args = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect', ...flags, '-d', body];
  return new Promise((resolve) => {
    execFile(BUF, [...args, `http://${address}/${path}`], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), out: `${stdout}${stderr}` });
    });
  });
}

/** One service of each source the fake server below describes: built-in, protoFiles (Speech), added (Catalog). */
const SERVED = [
  'google.longrunning.Operations',
  'longrunning.demo.v1.Exporter',
  'google.cloud.speech.v2.Speech',
  'catalog.v1.Catalog',
];

const catalogPackage = protoLoader.loadSync(CATALOG, { includeDirs: [PROTOS, VENDORED] });

describe('gRPC server reflection on the fake server', () => {
  let server: FakeOperationsServer;
  const clients: grpc.Client[] = [];
  const client = (version: 'v1' | 'v1alpha'): grpc.Client => {
    const c = reflectionClient(version, server.address);
    clients.push(c);
    return c;
  };

  before(async () => {
    // A real GAPIC package's protos as protoFiles, and an added service (from proto-loader)
    // whose file imports google/protobuf/timestamp.proto and google/api/annotations.proto.
    server = await FakeOperationsServer.start({
      protoFiles: [SPEECH_V2],
      includeDirs: [SPEECH_PROTOS],
      services: [
        {
          definition: catalogPackage['catalog.v1.Catalog'] as grpc.ServiceDefinition,
          impl: {
            GetItem: (request: { name: string }) => ({
              name: request.name,
              state: 'ACTIVE',
              updateTime: { seconds: 1_700_000_000, nanos: 0 },
              cents: 250,
            }),
          },
        },
      ],
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  it('lists the built-in services, those of protoFiles and the added ones, over v1 and v1alpha', async () => {
    const expected = [
      'catalog.v1.Catalog',
      'google.cloud.speech.v2.Speech',
      'google.longrunning.Operations',
      'longrunning.demo.v1.Exporter',
    ];
    assert.deepEqual(await services(client('v1')), expected);
    assert.deepEqual(await services(client('v1alpha')), expected);
  });

  it('answers with the declaring file, named by its import path, and every file it depends on', async () => {
    const files = await describedFiles(client('v1'), 'longrunning.demo.v1.ExportMetadata');
    const [first] = files.keys();
    assert.equal(first, 'longrunning/demo/v1/export.proto');
    const exportProto = files.get('longrunning/demo/v1/export.proto');
    assert.deepEqual(
      exportProto?.message_type?.map((m) => m.name),
      ['StartExportRequest', 'ExportMetadata', 'ExportResult'],
    );
    assert.deepEqual(exportProto?.dependency, ['google/longrunning/operations.proto']);
    for (const [name, file] of files) {
      for (const dependency of file.dependency ?? []) {
        assert.ok(files.has(dependency), `${name} needs ${dependency}`);
      }
    }
  });

  it('describes google.protobuf.Timestamp when a protoFiles file or an added service imports it', async () => {
    const files = await describedFiles(client('v1'), 'google.cloud.speech.v2.Recognizer', 'catalog.v1.Item');
    assert.ok(
      files
        .get('google/cloud/speech/v2/cloud_speech.proto')
        ?.dependency?.includes('google/protobuf/timestamp.proto'),
    );
    const catalog = [...files.values()].find((f) => message(f, 'Item') !== undefined);
    assert.ok(
      catalog?.dependency?.includes('google/protobuf/timestamp.proto'),
      JSON.stringify(catalog?.dependency),
    );
    assert.ok(
      catalog?.dependency?.includes('google/api/annotations.proto'),
      JSON.stringify(catalog?.dependency),
    );
    assert.deepEqual(
      message(files.get('google/protobuf/timestamp.proto'), 'Timestamp')?.field?.map((f) => f.name),
      ['seconds', 'nanos'],
    );
  });

  it('keeps method and field options: google.api.http, operation_info, field_behavior', async () => {
    const files = await describedFiles(client('v1'), ...SERVED);
    const operations = files.get('google/longrunning/operations.proto');
    assert.deepEqual(method(operations, 'Operations', 'ListOperations')?.['.google.api.http'], {
      get: '/v1/{name=operations}',
    });
    assert.deepEqual(method(files.get('longrunning/demo/v1/export.proto'), 'Exporter', 'StartExport'), {
      '.google.longrunning.operation_info': {
        response_type: 'ExportResult',
        metadata_type: 'ExportMetadata',
      },
    });
    const speech = files.get('google/cloud/speech/v2/cloud_speech.proto');
    assert.deepEqual(method(speech, 'Speech', 'BatchRecognize')?.['.google.longrunning.operation_info'], {
      response_type: 'BatchRecognizeResponse',
      metadata_type: 'OperationMetadata',
    });
    const name = message(speech, 'Recognizer')?.field?.find((f) => f.name === 'name');
    assert.deepEqual(name?.options, { '.google.api.field_behavior': ['OUTPUT_ONLY', 'IDENTIFIER'] });
    // An added service's method options come from its proto-loader definition.
    const catalog = [...files.values()].find((f) => f.service?.some((s) => s.name === 'Catalog'));
    assert.deepEqual(method(catalog, 'Catalog', 'StartReindex'), {
      '.google.api.http': { post: '/v1/{name=catalogs/*}:reindex', body: '*' },
      '.google.longrunning.operation_info': { response_type: 'Reindex', metadata_type: 'ReindexMetadata' },
    });
  });

  it('describes map fields with protoc-named entry messages and extension ranges with exclusive ends', async () => {
    const files = await describedFiles(client('v1'), 'google.cloud.speech.v2.Speech');
    const recognizer = message(files.get('google/cloud/speech/v2/cloud_speech.proto'), 'Recognizer');
    assert.equal(
      recognizer?.field?.find((f) => f.name === 'annotations')?.type_name,
      '.google.cloud.speech.v2.Recognizer.AnnotationsEntry',
    );
    assert.ok(recognizer?.nested_type?.some((n) => n.name === 'AnnotationsEntry'));
    const methodOptions = message(files.get('google/protobuf/descriptor.proto'), 'MethodOptions');
    // descriptor.proto: `extensions 990 to 998; extensions 1000 to max;`
    assert.deepEqual(methodOptions?.extension_range, [
      { start: 990, end: 999 },
      { start: 1000, end: 536_870_912 },
    ]);
    for (const file of files.values()) {
      const walk = (m: MessageObject): void => {
        for (const range of m.extension_range ?? [])
          assert.ok(range.start < range.end, `${file.name} ${m.name}`);
        for (const nested of m.nested_type ?? []) walk(nested);
      };
      for (const m of file.message_type ?? []) walk(m);
    }
  });

  it('serves files without import cycles, every dependency served', async () => {
    const files = await describedFiles(client('v1alpha'), ...SERVED);
    const done = new Set<string>();
    const visit = (name: string, path: readonly string[]): void => {
      assert.ok(!path.includes(name), `import cycle: ${[...path, name].join(' -> ')}`);
      if (done.has(name)) return;
      const file = files.get(name);
      assert.ok(file !== undefined, `${path.at(-1)} depends on ${name}, which was not served`);
      for (const dependency of file.dependency ?? []) visit(dependency, [...path, name]);
      done.add(name);
    };
    for (const name of files.keys()) visit(name, []);
  });

  it("decodes, with protobufjs's descriptor extension, into a root that encodes and decodes the services' messages", async () => {
    const all = new Map<string, Buffer>();
    for (const symbol of [
      'google.longrunning.Operations',
      'catalog.v1.Catalog',
      'google.cloud.speech.v2.Speech',
    ]) {
      for (const [name, bytes] of await filesFor(client('v1'), symbol)) all.set(name, bytes);
    }
    const set = descriptor.FileDescriptorSet.create({
      file: [...all.values()].map((bytes) => descriptor.FileDescriptorProto.decode(bytes)),
    });
    // Added to Root by the descriptor extension at run time; its typings do not declare it.
    const fromDescriptor: unknown = Reflect.get(protobuf.Root, 'fromDescriptor');
    assert.ok(typeof fromDescriptor === 'function');
    const root: unknown = fromDescriptor.call(protobuf.Root, set);
    assert.ok(root instanceof protobuf.Root);
    // Field names as the .proto files write them: the reflected files say them.
    const Operation = root.lookupType('google.longrunning.Operation');
    const Metadata = root.lookupType('google.cloud.speech.v2.OperationMetadata');
    const metadata = {
      type_url: 'type.googleapis.com/google.cloud.speech.v2.OperationMetadata',
      value: Metadata.encode({ progress_percent: 40 }).finish(),
    };
    const bytes = Operation.encode({ name: 'operations/1', done: true, metadata }).finish();
    const op = Operation.toObject(Operation.decode(bytes));
    assert.equal(op.name, 'operations/1');
    assert.equal(op.metadata.type_url, metadata.type_url);
    assert.equal(Metadata.toObject(Metadata.decode(op.metadata.value)).progress_percent, 40);
    const getItem = root.lookupService('catalog.v1.Catalog').methods.GetItem;
    getItem?.resolve();
    assert.equal(getItem?.resolvedResponseType?.fullName, '.catalog.v1.Item');
  });

  it('lets buf curl resolve and call the built-in services, an added service and a protoFiles service', async () => {
    const list = await bufCurl(server.address, '', '', '--list-services');
    assert.equal(list.code, 0, list.out);
    const listOperations = await bufCurl(
      server.address,
      'google.longrunning.Operations/ListOperations',
      '{"name":"operations"}',
    );
    assert.equal(listOperations.code, 0, listOperations.out);
    const v1alpha = await bufCurl(
      server.address,
      'google.longrunning.Operations/ListOperations',
      '{"name":"operations"}',
      '--reflect-protocol',
      'grpc-v1alpha',
    );
    assert.equal(v1alpha.code, 0, v1alpha.out);
    const item = await bufCurl(server.address, 'catalog.v1.Catalog/GetItem', '{"name":"items/1"}');
    assert.equal(item.code, 0, item.out);
    assert.deepEqual(JSON.parse(item.out), {
      name: 'items/1',
      state: 'ACTIVE',
      updateTime: '2023-11-14T22:13:20Z',
      cents: '250',
    });
    const started = await bufCurl(
      server.address,
      'longrunning.demo.v1.Exporter/StartExport',
      '{"source":"s","rows":"5"}',
    );
    assert.equal(started.code, 0, started.out);
    assert.match(started.out, /"@type": "type\.googleapis\.com\/longrunning\.demo\.v1\.ExportMetadata"/);
    // Speech's service is described but not implemented: the call reaches the server.
    const speech = await bufCurl(
      server.address,
      'google.cloud.speech.v2.Speech/GetRecognizer',
      '{"name":"r"}',
    );
    assert.match(speech.out, /"code": "unimplemented"/);
  });

  it('describes a service added after start from the next reflection call on', async () => {
    const pkg = protoLoader.loadSync(join(PROTOS, 'library', 'v1', 'library.proto'), {
      includeDirs: [PROTOS, VENDORED],
    });
    server.addService(pkg['library.v1.Library'] as grpc.ServiceDefinition, {});
    assert.ok((await services(client('v1'))).includes('library.v1.Library'));
    const files = await describedFiles(client('v1alpha'), 'library.v1.Library.StartBackup');
    assert.ok([...files.values()].some((f) => message(f, 'BackupMetadata') !== undefined));
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

/** Starts `lro serve` with `args` from source; resolves the process and its address once it listens. */
async function serve(...args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const cli = join(repo, 'src', 'cli', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^listening on (\S+)\n/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`lro serve exited with ${code} before listening`)));
  });
  return { child, address };
}

describe('gRPC server reflection on lro serve', () => {
  it('describes --proto files so that buf curl calls their services, proto3 optional fields as protoc does', {
    timeout: 60_000,
  }, async (t) => {
    const { child, address } = await serve('--proto', CATALOG, '-I', PROTOS);
    t.after(() => child.kill('SIGTERM'));
    const client = reflectionClient('v1', address);
    t.after(() => client.close());
    assert.deepEqual(await services(client), [
      'catalog.v1.Catalog',
      'google.longrunning.Operations',
      'longrunning.demo.v1.Exporter',
    ]);
    const files = await describedFiles(client, 'catalog.v1.Item');
    const item = message(files.get(CATALOG), 'Item');
    assert.deepEqual(
      item?.oneof_decl?.map((o) => o.name),
      ['price', '_stock'],
    );
    assert.deepEqual(
      item?.field
        ?.filter((f) => f.oneof_index !== undefined)
        .map((f) => [f.name, f.oneof_index, f.proto3_optional]),
      [
        ['stock', 1, true],
        ['cents', 0, undefined],
        ['quote', 0, undefined],
      ],
    );
    const call = await bufCurl(address, 'catalog.v1.Catalog/GetItem', '{"name":"items/1"}');
    assert.match(call.out, /"code": "unimplemented"/);
    const list = await bufCurl(
      address,
      'google.longrunning.Operations/ListOperations',
      '{"name":"operations"}',
    );
    assert.equal(list.code, 0, list.out);
  });
});
