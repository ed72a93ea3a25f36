import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { operationTypesFromMethod } from '../../src/client/gapic.ts';
import { loadProtoFiles, protoSources } from '../../src/proto/proto-files.ts';
import { createRegistry } from '../../src/proto/registry.ts';

const repo = join(import.meta.dirname, '..', '..');
/** The protos a real GAPIC package ships (a devDependency fixture): nothing but its own API's files. */
const SPEECH_PROTOS = join(repo, 'node_modules', '@google-cloud', 'speech', 'build', 'protos');
const SPEECH_V1 = 'google/cloud/speech/v1/cloud_speech.proto';
const SPEECH_V2 = 'google/cloud/speech/v2/cloud_speech.proto';

/**
 * A folder from which Node finds only the given packages (linked to the project's copies),
 * as an application that has installed only those would.
 */
function appWith(...packages: string[]): string {
  const app = mkdtempSync(join(tmpdir(), 'lro-proto-app-'));
  mkdirSync(join(app, 'node_modules'));
  for (const name of packages) symlinkSync(join(repo, 'node_modules', name), join(app, 'node_modules', name));
  return app;
}

/** The source label of the folder the file declaring `typeName` was read from. */
function sourceOf(
  loaded: ReturnType<typeof loadProtoFiles>,
  typeName: string,
  from: readonly string[],
): string {
  const filename = loaded.root.lookupType(typeName).filename ?? '';
  const source = protoSources([SPEECH_PROTOS], from).find(
    (s) => s.dir !== undefined && filename.startsWith(s.dir),
  );
  return source?.label ?? `none (${filename})`;
}

describe('addProtoFiles with real API protos', () => {
  it("loads @google-cloud/speech's v1 and v2 cloud_speech.proto with only the package's folder given, and operationTypesFromMethod resolves their LRO methods", () => {
    const registry = createRegistry().addProtoFiles([SPEECH_V1, SPEECH_V2], { includeDirs: [SPEECH_PROTOS] });
    assert.deepEqual(
      operationTypesFromMethod(registry, 'google.cloud.speech.v1.Speech.LongRunningRecognize'),
      {
        responseType: 'google.cloud.speech.v1.LongRunningRecognizeResponse',
        metadataType: 'google.cloud.speech.v1.LongRunningRecognizeMetadata',
      },
    );
    assert.deepEqual(operationTypesFromMethod(registry, 'google.cloud.speech.v2.Speech.BatchRecognize'), {
      responseType: 'google.cloud.speech.v2.BatchRecognizeResponse',
      metadataType: 'google.cloud.speech.v2.OperationMetadata',
    });
    const any = registry.pack('google.cloud.speech.v1.LongRunningRecognizeMetadata', { progressPercent: 40 });
    assert.equal(registry.unpack<{ progressPercent: number }>(any).progressPercent, 40);
  });

  for (const installed of ['google-proto-files', 'google-gax'] as const) {
    it(`finds googleapis common imports in ${installed} when the application has only it`, () => {
      const from = [appWith(installed)];
      assert.deepEqual(
        protoSources([], from).map((s) => [s.label, s.dir !== undefined]),
        [
          ['longrunning', true],
          ['google-proto-files', installed === 'google-proto-files'],
          ['google-gax', installed === 'google-gax'],
        ],
      );
      const loaded = loadProtoFiles([SPEECH_V1], { includeDirs: [SPEECH_PROTOS], from });
      assert.equal(sourceOf(loaded, 'google.api.ResourceDescriptor', from), installed);
      assert.equal(sourceOf(loaded, 'google.cloud.speech.v1.RecognizeRequest', from), 'includeDirs');
      const resource = loaded.root.lookupType('google.api.ResourceDescriptor').filename ?? '';
      assert.equal(loaded.importName(resource), 'google/api/resource.proto');
    });
  }

  it('names the missing file, its importer, every folder searched and the fix when an import is found nowhere', () => {
    const from = [appWith()];
    assert.throws(
      () => loadProtoFiles([SPEECH_V1], { includeDirs: [SPEECH_PROTOS], from }),
      (error: Error) => {
        assert.match(
          error.message,
          /cannot find "google\/api\/resource\.proto" \(imported by google\/cloud\/speech\/v1\//,
        );
        assert.ok(error.message.includes(`${SPEECH_PROTOS} (includeDirs)`), error.message);
        assert.match(error.message, /\/protos \(longrunning\)/);
        assert.match(error.message, /google-proto-files \(not installed\), google-gax \(not installed\)/);
        assert.match(error.message, /npm install google-proto-files/);
        return true;
      },
    );
  });

  it('names a top-level file found nowhere', () => {
    assert.throws(
      () => createRegistry().addProtoFiles(['no/such/file.proto']),
      /cannot find "no\/such\/file\.proto"; searched .*includeDirs \(-I for lro\)/,
    );
  });
});
