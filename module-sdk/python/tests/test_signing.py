"""Signing from Python: the README's test vectors (the C# signer's bytes), keystores, and signed calls
against a real host when MODULUS_SIGNED_URLS names one whose module "allowed" allows the vector key.

Run by tests/Modulus.FunctionalTests/PythonCallerTests.cs, which also writes the keystores
(MODULUS_TEST_KEYSTORES: scrypt and pbkdf2 files holding the vector key, MODULUS_TEST_PASSPHRASE).
"""

import os
import time
import unittest

import modulus
import modulus.client
from modulus import _wire, signing

# The README's "Signing" test vector, as the C# signer computes it (tests/Modulus.Protocol.Tests/CallSignatureTests.cs).
KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
HOST = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CHAIN = 31337
TIMESTAMP = 1767225600000
NONCE = bytes(range(16))
PAYLOAD = "220c2a0a536f6d6520746578742e2a090a03746f7012021806"
PAYLOAD_HASH = "7d4a30082c52c2fa12e00ef9def36a80905b10a8201447daf5bd20a73ddb7ab7"
DIGEST = "92933f7d9dde24fbd08791e595bde98e262cee8ca9c72906eafdb8848cb0c77c"
PERSONAL_HASH = "93f691b77f8fd88e46913d78cf77e558de1b8b8d78dfa5d6dbde79793defeacd"
SIGNATURE = ("88a9b37f5f7f80c84d1e8e5ccc14a7fcac7d938f4c6d5a15eadc3f43e3007f89"
             "02dcc1950cba50c86af5f3e80000658a01a2bccbd6f295ee1e67350167a9842a1c")

SIGNED_URLS = [u for u in os.environ.get("MODULUS_SIGNED_URLS", "").split(",") if u]
KEYSTORES = [k for k in os.environ.get("MODULUS_TEST_KEYSTORES", "").split(os.pathsep) if k]
PASSPHRASE = os.environ.get("MODULUS_TEST_PASSPHRASE", "")


class VectorTests(unittest.TestCase):
    def test_primitives_match_their_standards(self):
        self.assertEqual("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", signing.keccak256(b"").hex())
        self.assertEqual("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", signing.keccak256(b"abc").hex())
        fips197 = signing.aes128_encrypt_block(signing._expand_key(bytes(range(16))), bytes.fromhex("00112233445566778899aabbccddeeff"))
        self.assertEqual("69c4e0d86a7b0430d8cdb78070b4c55a", fips197.hex())

    def test_the_readme_vector_gives_the_csharp_signers_bytes(self):
        signer = signing.Signer(KEY)
        self.assertEqual(ADDRESS, signer.address)
        payload = _wire.encode_payload(["Some text."], {"top": 3})
        self.assertEqual(PAYLOAD, payload.hex())
        self.assertEqual(PAYLOAD_HASH, signing.keccak256(payload).hex())
        digest = signing.call_digest(HOST, CHAIN, "text.stats", "forward", signing.keccak256(payload), TIMESTAMP, NONCE)
        self.assertEqual(DIGEST, digest.hex())
        self.assertEqual(PERSONAL_HASH, signing.personal_hash(digest).hex())
        self.assertEqual(SIGNATURE, signer.sign_personal(digest).hex())
        self.assertEqual(ADDRESS, signing.recover_hash(signing.personal_hash(digest), bytes.fromhex(SIGNATURE)))

    def test_signatures_are_low_s_with_v_27_or_28_and_recover(self):
        signer = signing.Signer(os.urandom(32))
        for i in range(8):
            digest = signing.keccak256(bytes([i]))
            signature = signer.sign_personal(digest)
            self.assertIn(signature[64], (27, 28))
            self.assertLessEqual(int.from_bytes(signature[32:64], "big"), signing.N // 2)
            self.assertEqual(signer.address, signing.recover_hash(signing.personal_hash(digest), signature))
        high = signature[:32] + (signing.N - int.from_bytes(signature[32:64], "big")).to_bytes(32, "big") + bytes([55 - signature[64]])
        with self.assertRaisesRegex(ValueError, "lower half"):
            signing.recover_hash(signing.personal_hash(digest), high)

    def test_digest_names_host_and_chain(self):
        digest = signing.call_digest(HOST, CHAIN, "m", "forward", bytes(32), TIMESTAMP, NONCE)
        self.assertNotEqual(digest, signing.call_digest(ADDRESS, CHAIN, "m", "forward", bytes(32), TIMESTAMP, NONCE))
        self.assertNotEqual(digest, signing.call_digest(HOST, 1, "m", "forward", bytes(32), TIMESTAMP, NONCE))
        self.assertEqual(digest, signing.call_digest(HOST, CHAIN, "m", "", bytes(32), TIMESTAMP, NONCE))


@unittest.skipUnless(KEYSTORES, "MODULUS_TEST_KEYSTORES names no keystore")
class VoucherTests(unittest.TestCase):
    # The same vector as tests/Modulus.Protocol.Tests/VoucherDigestTests.cs checks in C#.
    ESCROW, HOST, PAYER = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"

    def test_the_voucher_vector_gives_the_csharp_digest_and_signature(self):
        digest = signing.voucher_digest(31337, self.ESCROW, self.PAYER, self.HOST, "text.stats", 10**15)
        self.assertEqual(digest.hex(), "e284cfc026e81e50425c1ebabe844115d762c2eb972ba1580a5d7c11d5985073")
        signature = signing.Signer("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").sign_hash(digest)
        self.assertEqual(signing.recover_hash(digest, signature), self.PAYER)

    def test_prices_parse_exactly_into_wei(self):
        self.assertEqual(signing.parse_gpt("0.001"), 10**15)
        self.assertEqual(signing.parse_gpt(".5"), 5 * 10**17)
        self.assertEqual(signing.parse_gpt("0.000000000000000001"), 1)
        for bad in ("1e-3", "-1", "0.0000000000000000001", "", "1.2.3"):
            with self.assertRaises(ValueError):
                signing.parse_gpt(bad)


class KeystoreTests(unittest.TestCase):
    def test_keystores_written_by_the_csharp_key_ring_unlock(self):
        for path in KEYSTORES:
            with self.subTest(path=os.path.basename(path)):
                self.assertEqual(ADDRESS, signing.Signer.from_keystore(path, PASSPHRASE).address)
                with self.assertRaisesRegex(ValueError, "wrong passphrase"):
                    signing.Signer.from_keystore(path, PASSPHRASE + "x")


@unittest.skipUnless(SIGNED_URLS, "MODULUS_SIGNED_URLS names no host")
class SignedCallTests(unittest.TestCase):
    def test_a_signed_call_is_admitted_by_the_allow_list_and_others_are_not(self):
        for url in SIGNED_URLS:
            with self.subTest(url=url):
                with modulus.client.connect(url, timeout=20, key=KEY) as host:
                    self.assertEqual(ADDRESS.lower(), host.call("allowed", "hi").lower())
                    self.assertEqual(CHAIN, host.host_identity()[1])
                with modulus.client.connect(url, timeout=20, key=os.urandom(32)) as stranger:
                    with self.assertRaisesRegex(modulus.PermissionDenied, "allow list"):
                        stranger.call("allowed", "hi")
                with modulus.client.connect(url, timeout=20) as anonymous:
                    with self.assertRaises(modulus.PermissionDenied):
                        anonymous.call("allowed", "hi")

    def test_tampered_arguments_are_refused_saying_so_then_a_good_call_passes(self):
        for url in SIGNED_URLS:
            with self.subTest(url=url), modulus.client.connect(url, timeout=20, key=KEY) as host:
                auth = host.sign("allowed", "forward", ["hi"], {})
                tampered = _wire.encode_call_request("allowed", "forward", ["changed"], {}, int((time.time() + 20) * 1000), auth=auth)
                with self.assertRaisesRegex(modulus.Unauthenticated, "the arguments differ from the ones signed"):
                    outcome, payload = _wire.decode_call_response(host._transport.call(host._id(), tampered, time.time() + 20))
                    if outcome == "error":
                        raise modulus.client.error(*payload)
                self.assertEqual(ADDRESS.lower(), host.call("allowed", "hi").lower())

    def test_a_call_signed_for_another_host_or_chain_is_refused(self):
        for url in SIGNED_URLS:
            with self.subTest(url=url):
                with modulus.client.connect(url, timeout=20) as probe:
                    address, chain = probe.host_identity()
                with modulus.client.connect(url, timeout=20, key=KEY, host=(HOST, chain)) as host:
                    with self.assertRaisesRegex(modulus.Unauthenticated, f"signed for host {HOST}, this host is {address}"):
                        host.call("allowed", "hi")
                with modulus.client.connect(url, timeout=20, key=KEY, host=(address, 1)) as host:
                    with self.assertRaisesRegex(modulus.Unauthenticated, f"signed for chain 1, this host is on {chain}"):
                        host.call("allowed", "hi")

    @unittest.skipUnless(KEYSTORES, "MODULUS_TEST_KEYSTORES names no keystore")
    def test_a_keystore_signs_calls(self):
        with modulus.client.connect(SIGNED_URLS[0], timeout=20, key=KEYSTORES[0], passphrase=PASSPHRASE) as host:
            self.assertEqual(ADDRESS.lower(), host.call("allowed", "hi").lower())


if __name__ == "__main__":
    unittest.main()
