"""The Python caller against a real host: MODULUS_TEST_URLS lists its grpc://, tcp:// and udp:// addresses.

Run by the functional tests (tests/Modulus.FunctionalTests/PythonCallerTests.cs), or by hand:
    MODULUS_TEST_URLS=tcp://127.0.0.1:7051 PYTHONPATH=module-sdk/python python3 -m unittest discover -s module-sdk/python/tests
"""

import os
import unittest

import numpy as np

import modulus
import modulus.client
from modulus import _wire

URLS = [u for u in os.environ.get("MODULUS_TEST_URLS", "").split(",") if u]


class WireTests(unittest.TestCase):
    """The hand-written codec agrees with itself for every kind of value."""

    def test_envelopes_pad_to_the_size_asked_and_padding_is_not_the_body(self):
        for size in (0, 50, 130, 1200, 20_000):
            envelope = _wire.encode_envelope(12345, 4, b"", size)
            self.assertGreaterEqual(len(envelope), size)
            self.assertLessEqual(len(envelope), max(size, 8) + 1)
            self.assertEqual(_wire.decode_envelope(envelope), (12345, 4, b""))

    def test_request_ids_are_random_64_bit(self):
        client = modulus.client.Client("tcp://127.0.0.1:9")
        ids = {client._id() for _ in range(100)}
        self.assertEqual(len(ids), 100)
        self.assertNotIn(0, ids)
        self.assertTrue(any(i > 2 ** 32 for i in ids))
        client.close()

    def test_values_round_trip(self):
        for value in [None, True, False, 0, -1, 2**63 - 1, -(2**63), 1.5, float("inf"), "", "héllo", b"\x00\xff",
                      [1, [2, [None]]], {"b": 1, "a": {"c": []}}]:
            with self.subTest(value=value):
                self.assertEqual(value, _wire.decode_value(_wire.encode_value(value)))

    def test_tensor_round_trips_as_numpy(self):
        array = np.arange(6, dtype=np.float32).reshape(2, 3)
        back = _wire.decode_value(_wire.encode_value(array))
        self.assertEqual(back.dtype, np.float32)
        np.testing.assert_array_equal(array, back)

    def test_unsupported_value_says_what_is_supported(self):
        with self.assertRaisesRegex(TypeError, "cannot be sent to a module"):
            _wire.encode_value(object())

    def test_malformed_message_is_an_error_not_a_hang(self):
        with self.assertRaises(ValueError):
            _wire.decode_value(b"\x2a\xff\xff")


class GoAwayTests(unittest.TestCase):
    """A TCP host that closes with a go-away ran nothing unanswered: the request goes out again.
    A scripted peer on a real loopback socket closes exactly after the request arrived."""

    def _peer(self, script):
        import socket
        import struct
        import threading
        listener = socket.create_server(("127.0.0.1", 0))
        seen = []

        def read(conn, n):
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                if not chunk:
                    raise ConnectionError("closed")
                data += chunk
            return data

        def serve():
            kept = []
            with listener:
                for step in script:
                    conn, _ = listener.accept()
                    (length,) = struct.unpack(">I", read(conn, 4))
                    request_id, _, _ = _wire.decode_envelope(read(conn, length))
                    seen.append(request_id)
                    for frame in step(request_id):
                        conn.sendall(struct.pack(">I", len(frame)) + frame)
                    if step is answer:
                        kept.append(conn)
                    else:
                        conn.close()
            for conn in kept:
                conn.close()

        def go_away(_):
            return [_wire.encode_envelope(0, _wire.GO_AWAY, _wire._len(1, b"the connection was idle for 1 s"))]

        def answer(request_id):
            response = _wire._key(1, _wire._VARINT) + _wire._varint(request_id) + _wire._len(2, _wire.encode_value("served"))
            return [_wire.encode_envelope(request_id, 3, response)]

        steps = [go_away if s == "go_away" else answer for s in script]
        script[:] = steps
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        return f"tcp://127.0.0.1:{listener.getsockname()[1]}", seen, thread

    def test_a_call_answered_with_a_go_away_is_sent_again_and_answered(self):
        url, seen, thread = self._peer(["go_away", "answer"])
        with modulus.client.connect(url, timeout=10) as host:
            self.assertEqual("served", host.call("util.echo", "x"))
        thread.join(10)
        self.assertEqual(2, len(seen))
        self.assertEqual(seen[0], seen[1])

    def test_a_host_that_always_goes_away_is_unavailable_with_its_reason(self):
        url, seen, thread = self._peer(["go_away", "go_away", "go_away"])
        with modulus.client.connect(url, timeout=10) as host:
            with self.assertRaisesRegex(modulus.Unavailable, "idle for 1 s.*sent 3 times"):
                host.call("util.echo", "x")
        thread.join(10)
        self.assertEqual(3, len(seen))


@unittest.skipUnless(URLS, "MODULUS_TEST_URLS names no host")
class StreamTests(unittest.TestCase):
    """Streamed answers: the shipped echo modules' `repeat` in C# and Python."""

    def test_a_stream_arrives_item_by_item_over_tcp_and_grpc_and_udp_refuses(self):
        for url in URLS:
            for module in ("util.echo", "util.pyecho"):
                with self.subTest(url=url, module=module), modulus.client.connect(url, timeout=20) as host:
                    if url.startswith("udp://"):
                        with self.assertRaisesRegex(modulus.ModulusError, "TCP or gRPC|tcp:// or grpc://") as caught:
                            list(host.stream(f"{module}/repeat", "x", times=3))
                        self.assertEqual(caught.exception.code, modulus.StatusCode.FAILED_PRECONDITION)
                        continue
                    self.assertEqual(["hé"] * 50, list(host.stream(f"{module}/repeat", "hé", times=50)))
                    # Called for one value, the endpoint answers with the list of its items.
                    self.assertEqual([1, 1], host.call(f"{module}/repeat", 1, times=2))
                    endpoint = next(e for e in host.info(module)["endpoints"] if e["name"] == "repeat")
                    self.assertTrue(endpoint["streaming"])

    def test_stopping_a_stream_early_leaves_the_client_usable(self):
        for url in (u for u in URLS if not u.startswith("udp://")):
            with self.subTest(url=url), modulus.client.connect(url, timeout=20) as host:
                stream = host.stream("util.pyecho/repeat", "y", times=100_000)
                self.assertEqual(["y", "y"], [next(stream), next(stream)])
                stream.close()
                self.assertEqual("after", host.call("util.echo", "after"))

    def test_a_stream_that_fails_raises_the_module_error(self):
        for url in (u for u in URLS if not u.startswith("udp://")):
            with self.subTest(url=url), modulus.client.connect(url, timeout=20) as host:
                with self.assertRaisesRegex(modulus.ModulusError, "times must be") as caught:
                    list(host.stream("util.echo/repeat", "z", times=-1))
                self.assertEqual(caught.exception.code, modulus.StatusCode.INVALID_ARGUMENT)


@unittest.skipUnless(URLS, "MODULUS_TEST_URLS names no host")
class CallerTests(unittest.TestCase):
    def test_calls_give_the_same_results_on_every_transport(self):
        value = {"none": None, "bool": True, "int": -(2**63), "float": 0.1, "str": "héllo", "bytes": b"\x00\x01",
                 "list": [1, "two", []], "tensor": np.array([[1.5], [-2.0]], dtype=np.float32)}
        for url in URLS:
            with self.subTest(url=url), modulus.client.connect(url, timeout=20) as host:
                self.assertEqual([31373, 995], host.call("text.tokenize", "hello world"))
                self.assertEqual("hello world", host.call("text.tokenize/decode", [31373, 995]))
                self.assertEqual(2, host.call("text.stats", "The cat. The dog.", top=2)["top_words"][0][1])
                for module in ("util.echo", "util.pyecho"):
                    echoed = host.call(module, value)
                    tensor = echoed.pop("tensor")
                    expected = dict(value)
                    np.testing.assert_array_equal(expected.pop("tensor"), tensor)
                    self.assertEqual(expected, echoed)

    def test_errors_raise_the_class_of_their_code(self):
        for url in URLS:
            with self.subTest(url=url), modulus.client.connect(url, timeout=20) as host:
                with self.assertRaises(modulus.NotFound):
                    host.call("no.such.module")
                with self.assertRaisesRegex(modulus.InvalidArgument, 'argument "text" must be string'):
                    host.call("text.tokenize", 42)

    def test_list_and_info(self):
        for url in URLS:
            with self.subTest(url=url), modulus.client.connect(url, timeout=20) as host:
                names = [m["name"] for m in host.list()["modules"]]
                self.assertIn("text.tokenize", names)
                info = host.info("text.tokenize")
                self.assertEqual(["forward", "decode", "count"], [e["name"] for e in info["endpoints"]])
                self.assertEqual([True, True, True], [e["idempotent"] for e in info["endpoints"]])
                with self.assertRaises(modulus.NotFound):
                    host.info("no.such.module")

    def test_udp_answer_larger_than_three_times_the_request_comes_after_padding(self):
        # 20 KB back for a 1,200-byte request: the host asks for a padded copy, the caller sends it.
        for url in [u for u in URLS if u.startswith("udp://")]:
            with modulus.client.connect(url, timeout=20) as host:
                self.assertEqual(host.call("util.echo", "y" * 20_000), "y" * 20_000)

    def test_udp_request_over_a_datagram_names_tcp(self):
        udp = [u for u in URLS if u.startswith("udp://")]
        for url in udp:
            with modulus.client.connect(url, timeout=20) as host:
                with self.assertRaisesRegex(modulus.ResourceExhausted, "tcp://"):
                    host.call("util.echo", b"x" * 70_000)


if __name__ == "__main__":
    unittest.main()
