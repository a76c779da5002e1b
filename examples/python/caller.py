#!/usr/bin/env python3
"""Calls modules on a running Modulus host from Python (standard library; grpc:// needs python3-grpcio).

    PYTHONPATH=module-sdk/python python3 examples/python/caller.py tcp://127.0.0.1:7051
"""

import sys

import modulus
import modulus.client

url = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:7051"
with modulus.client.connect(url) as host:
    ids = host.call("text.tokenize", "hello world")
    print("text.tokenize        ->", ids)
    print("text.tokenize/decode ->", host.call("text.tokenize/decode", ids))
    print("text.stats           ->", host.call("text.stats", "The cat sat. The cat ran.", top=1))
    logits = modulus.Tensor.from_list([2.0, 1.0, 0.1])
    probabilities = host.call("tensor.softmax", logits)
    print("tensor.softmax       ->", [round(float(p), 3) for p in (probabilities.tolist() if isinstance(probabilities, modulus.Tensor) else probabilities)])
    print("modules served       ->", ", ".join(m["name"] for m in host.list()["modules"]))
    try:
        host.call("text.tokenize", 42)
    except modulus.InvalidArgument as ex:
        print("a bad call raises    ->", ex)
