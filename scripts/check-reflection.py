#!/usr/bin/env python3
"""Resolves a running `lro serve` through gRPC server reflection from Python (grpcio and
protobuf, as Debian ships them: `apt-get install python3-grpcio python3-grpc-tools`), the
way grpcio-reflection's descriptor database does: list the services, fetch the file that
defines each one and every file it imports by name, add them to a fresh DescriptorPool
(dependencies first), then call ListOperations and StartExport with message classes made
from that pool alone. A file set with an import cycle or an invalid descriptor fails here
(the C++/upb pool refuses it; the pure-Python one recursed without end).

Not part of CI (CI machines have no Python gRPC); run by hand, with the Python the Debian
packages are for (/usr/bin/python3), once with the C++ protobuf and once with the pure one:

    node dist/cli/main.js serve --port 50123 --proto catalog/v1/catalog.proto -I test/fixtures/protos &
    /usr/bin/python3 scripts/check-reflection.py 127.0.0.1:50123
    PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python /usr/bin/python3 scripts/check-reflection.py 127.0.0.1:50123

Exits 0 when every step holds, 1 with the step that failed otherwise.
"""
import os
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal import api_implementation

REFLECTION_PROTO = os.path.join(
    os.path.dirname(__file__), '..', 'node_modules', '@grpc', 'reflection', 'build', 'proto'
)
TIMEOUT_S = 10


def fail(message):
    print(f'check-reflection.py: {message}', file=sys.stderr)
    sys.exit(1)


def reflection_stubs():
    """The reflection v1 messages and stub, generated with grpc_tools into a temporary folder
    (as a top-level module: a `grpc/reflection` folder would hide the grpc package)."""
    out = tempfile.mkdtemp(prefix='lro-reflection-')
    with open(os.path.join(REFLECTION_PROTO, 'grpc', 'reflection', 'v1', 'reflection.proto')) as f:
        source = f.read()
    with open(os.path.join(out, 'lro_reflection.proto'), 'w') as f:
        f.write(source)
    subprocess.run(
        [sys.executable, '-m', 'grpc_tools.protoc', f'-I{out}', f'--python_out={out}',
         f'--grpc_python_out={out}', 'lro_reflection.proto'],
        check=True,
    )
    sys.path.insert(0, out)
    import lro_reflection_pb2  # noqa: E402 (generated above)
    import lro_reflection_pb2_grpc  # noqa: E402
    return lro_reflection_pb2, lro_reflection_pb2_grpc


def main(address):
    reflection_pb2, reflection_pb2_grpc = reflection_stubs()
    channel = grpc.insecure_channel(address)
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)

    def ask(**request):
        [answer] = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)]),
                                                  timeout=TIMEOUT_S))
        if answer.HasField('error_response'):
            fail(f'reflection refused {request}: {ascii(answer.error_response.error_message)}')
        return answer

    services = [s.name for s in ask(list_services='').list_services_response.service]
    # Names and messages from the server are printed as ascii() reprs: escaped, never raw control characters.
    print(f'services: {", ".join(ascii(s) for s in services)}')
    for wanted in ('google.longrunning.Operations', 'longrunning.demo.v1.Exporter'):
        if wanted not in services:
            fail(f'{wanted} is not listed')

    files = {}

    def fetch(**request):
        for raw in ask(**request).file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files.setdefault(proto.name, proto)

    for service in services:
        fetch(file_containing_symbol=service)
    # Every import, by file name, until the set is closed (bounded by the files a server can have).
    for _ in range(1000):
        missing = sorted({d for f in files.values() for d in f.dependency if d not in files})
        if not missing:
            break
        for name in missing:
            fetch(file_by_filename=name)

    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name, path=()):
        if name in added:
            return
        if name in path:
            fail(f'import cycle: {" -> ".join(ascii(p) for p in path + (name,))}')
        for dependency in files[name].dependency:
            add(dependency, path + (name,))
        pool.Add(files[name])
        added.add(name)

    for name in sorted(files):
        add(name)
    print(f'{len(files)} files added to a DescriptorPool ({api_implementation.Type()} protobuf)')

    factory = message_factory.MessageFactory(pool)

    def call(service_name, method_name, request_fields):
        method = pool.FindServiceByName(service_name).FindMethodByName(method_name)
        request_class = factory.GetPrototype(method.input_type)
        response_class = factory.GetPrototype(method.output_type)
        invoke = channel.unary_unary(f'/{service_name}/{method_name}',
                                     request_serializer=request_class.SerializeToString,
                                     response_deserializer=response_class.FromString)
        return method, invoke(request_class(**request_fields), timeout=TIMEOUT_S)

    _, page = call('google.longrunning.Operations', 'ListOperations', {'name': 'operations'})
    print(f'ListOperations answered: {len(page.operations)} operations')
    method, operation = call('longrunning.demo.v1.Exporter', 'StartExport', {'source': 'python'})
    if not operation.name:
        fail('StartExport answered an operation without a name')
    options = method.GetOptions().SerializeToString()
    if not options:
        fail('StartExport has no method options (operation_info and google.api.http are missing)')
    print(f'StartExport answered {ascii(operation.name)}; its method options: {len(options)} bytes')
    channel.close()


if __name__ == '__main__':
    if len(sys.argv) != 2:
        fail('usage: check-reflection.py HOST:PORT')
    main(sys.argv[1])
