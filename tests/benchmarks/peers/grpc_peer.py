#!/usr/bin/env python3
"""The peer a Python user would write with grpcio: an asyncio gRPC server with an echo and a
tensor-sum method, the same functions the Modulus benchmark modules serve.

The messages are built from a descriptor at start-up rather than by grpc_tools' generated code
(Debian's python3-grpc-tools is too old for this grpcio); the classes are the same protobuf
message classes generated code would give, so the per-call cost is the same.

Usage: grpc_peer.py [--port 0]   prints "listening on PORT" once it serves.
"""

import argparse
import asyncio

import grpc
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

LIMIT = 64 * 1024 * 1024


def message_classes():
    """bench.v1.Text {string text}, Floats {repeated int64 shape; bytes data}, Number {double value}."""
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="bench/v1/peer.proto", package="bench.v1", syntax="proto3")

    def message(name, *fields):
        m = proto.message_type.add(name=name)
        for number, (field_name, field_type, label) in enumerate(fields, start=1):
            m.field.add(name=field_name, number=number, type=field_type, label=label)

    message("Text", ("text", field.TYPE_STRING, field.LABEL_OPTIONAL))
    message("Floats", ("shape", field.TYPE_INT64, field.LABEL_REPEATED), ("data", field.TYPE_BYTES, field.LABEL_OPTIONAL))
    message("Number", ("value", field.TYPE_DOUBLE, field.LABEL_OPTIONAL))
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    factory = message_factory.MessageFactory(pool)
    return [factory.GetPrototype(pool.FindMessageTypeByName("bench.v1." + n)) for n in ("Text", "Floats", "Number")]


Text, Floats, Number = message_classes()


async def echo(request, context):
    return request


async def tensor_sum(request, context):
    x = np.frombuffer(request.data, dtype=np.float32)
    return Number(value=float(x.sum()))


async def serve(port):
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", LIMIT), ("grpc.max_send_message_length", LIMIT)])
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo, request_deserializer=Text.FromString, response_serializer=Text.SerializeToString),
        "Sum": grpc.unary_unary_rpc_method_handler(tensor_sum, request_deserializer=Floats.FromString, response_serializer=Number.SerializeToString),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.v1.Peer", handlers),))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(f"listening on {bound}", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))
