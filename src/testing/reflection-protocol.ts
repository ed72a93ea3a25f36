/**
 * The gRPC server reflection protocol, `grpc.reflection.v1` and `grpc.reflection.v1alpha`
 * (the same messages under two packages), from grpc's reflection.proto, as a protobufjs
 * JSON descriptor (camelCase field names, as the library decodes), and the answer to one
 * reflection request from a DescriptorSet.
 */
import type * as grpc from '@grpc/grpc-js';
import type { AnyNestedObject, INamespace } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { serviceDefinition } from '../proto/builtin.js';
import { Code } from '../wire/code.js';
import type { DescriptorSet } from './descriptor-set.js';

const MESSAGES: Record<string, AnyNestedObject> = {
  ServerReflection: {
    methods: {
      ServerReflectionInfo: {
        requestType: 'ServerReflectionRequest',
        requestStream: true,
        responseType: 'ServerReflectionResponse',
        responseStream: true,
        comment: '',
      },
    },
  },
  ServerReflectionRequest: {
    oneofs: {
      messageRequest: {
        oneof: [
          'fileByFilename',
          'fileContainingSymbol',
          'fileContainingExtension',
          'allExtensionNumbersOfType',
          'listServices',
        ],
      },
    },
    fields: {
      host: { type: 'string', id: 1 },
      fileByFilename: { type: 'string', id: 3 },
      fileContainingSymbol: { type: 'string', id: 4 },
      fileContainingExtension: { type: 'ExtensionRequest', id: 5 },
      allExtensionNumbersOfType: { type: 'string', id: 6 },
      listServices: { type: 'string', id: 7 },
    },
  },
  ExtensionRequest: {
    fields: { containingType: { type: 'string', id: 1 }, extensionNumber: { type: 'int32', id: 2 } },
  },
  ServerReflectionResponse: {
    oneofs: {
      messageResponse: {
        oneof: [
          'fileDescriptorResponse',
          'allExtensionNumbersResponse',
          'listServicesResponse',
          'errorResponse',
        ],
      },
    },
    fields: {
      validHost: { type: 'string', id: 1 },
      originalRequest: { type: 'ServerReflectionRequest', id: 2 },
      fileDescriptorResponse: { type: 'FileDescriptorResponse', id: 4 },
      allExtensionNumbersResponse: { type: 'ExtensionNumberResponse', id: 5 },
      listServicesResponse: { type: 'ListServiceResponse', id: 6 },
      errorResponse: { type: 'ErrorResponse', id: 7 },
    },
  },
  FileDescriptorResponse: { fields: { fileDescriptorProto: { rule: 'repeated', type: 'bytes', id: 1 } } },
  ExtensionNumberResponse: {
    fields: {
      baseTypeName: { type: 'string', id: 1 },
      extensionNumber: { rule: 'repeated', type: 'int32', id: 2 },
    },
  },
  ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
  ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
  ErrorResponse: { fields: { errorCode: { type: 'int32', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
};

/** The protocol's versions, by package. */
const VERSIONS = ['v1', 'v1alpha'] as const;

let definitions: grpc.ServiceDefinition[] | undefined;

/** The grpc-js definitions of `ServerReflection` in both packages; built on first use and shared. */
export function reflectionDefinitions(): grpc.ServiceDefinition[] {
  if (definitions === undefined) {
    const nested: Record<string, INamespace> = Object.fromEntries(
      VERSIONS.map((v) => [v, { nested: MESSAGES }]),
    );
    const root = protobuf.Root.fromJSON({ nested: { grpc: { nested: { reflection: { nested } } } } });
    root.resolveAll();
    definitions = VERSIONS.map((v) =>
      serviceDefinition(root.lookupService(`grpc.reflection.${v}.ServerReflection`)),
    );
  }
  return definitions;
}

/** A decoded `ServerReflectionRequest` (the fields this file reads). */
export interface ReflectionRequest {
  host?: string;
  messageRequest?: string;
  fileByFilename?: string;
  fileContainingSymbol?: string;
  fileContainingExtension?: { containingType?: string; extensionNumber?: number };
  allExtensionNumbersOfType?: string;
}

/** The reply to one request: a file and its dependencies, extension numbers, the services, or an error. */
function reply(request: ReflectionRequest, set: DescriptorSet): object {
  const notFound = (what: string) => ({
    errorResponse: { errorCode: Code.NOT_FOUND, errorMessage: `${what} not found` },
  });
  const files = (found: Buffer[] | undefined, what: string) =>
    found === undefined ? notFound(what) : { fileDescriptorResponse: { fileDescriptorProto: found } };
  switch (request.messageRequest) {
    case 'listServices':
      return { listServicesResponse: { service: set.services.map((name) => ({ name })) } };
    case 'fileByFilename':
      return files(
        set.fileByName(request.fileByFilename ?? ''),
        `file ${JSON.stringify(request.fileByFilename)}`,
      );
    case 'fileContainingSymbol':
      return files(
        set.fileContainingSymbol(request.fileContainingSymbol ?? ''),
        `symbol ${JSON.stringify(request.fileContainingSymbol)}`,
      );
    case 'fileContainingExtension': {
      const { containingType = '', extensionNumber = 0 } = request.fileContainingExtension ?? {};
      return files(
        set.fileContainingExtension(containingType, extensionNumber),
        `extension ${extensionNumber} of ${JSON.stringify(containingType)}`,
      );
    }
    case 'allExtensionNumbersOfType': {
      const type = request.allExtensionNumbersOfType ?? '';
      const numbers = set.extensionNumbers(type);
      return numbers === undefined
        ? notFound(`type ${JSON.stringify(type)}`)
        : { allExtensionNumbersResponse: { baseTypeName: type, extensionNumber: numbers } };
    }
    default:
      return {
        errorResponse: { errorCode: Code.INVALID_ARGUMENT, errorMessage: 'the request asks for nothing' },
      };
  }
}

/**
 * The `ServerReflectionResponse` to `request`, answered from `set`: the file asked for
 * (by name, symbol or extension) with every file it depends on, extension numbers, or the
 * services; an `errorResponse` NOT_FOUND for a name no file declares.
 */
export function answer(request: ReflectionRequest, set: DescriptorSet): object {
  return { validHost: request.host ?? '', originalRequest: request, ...reply(request, set) };
}
