// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModuleRegistry} from "../src/ModuleRegistry.sol";
import {SemVer} from "./SemVer.sol";
import {InvariantTest, console, vm} from "./Vm.sol";

/// @notice Owns one module and publishes versions made from fuzz input: mostly near-misses of SemVer
///         (numbers with and without leading zeros, dots, '-', '+', letters, a few characters outside
///         the set), so that both sides of every rule are reached, and raw bytes. Each outcome is
///         held against the reference check.
contract VersionHandler {
    ModuleRegistry public immutable registry;
    string public constant NAME = "fuzzed.module";
    bytes32 private constant SALT = keccak256("versions");

    uint256 public accepted;
    uint256 public rejected;
    uint256 public acceptedInvalid;
    uint256 public rejectedValid;
    uint256 public otherErrors;
    string public lastMismatch;

    constructor(ModuleRegistry registry_) {
        registry = registry_;
        registry.commitName(registry.commitmentOf(NAME, address(this), SALT));
    }

    /// @dev Called by the test's setUp a block after the constructor's commit.
    function claim() external {
        registry.claimName(NAME, SALT);
    }

    function publishTokens(uint256 seed) external {
        _publish(_versionFrom(seed));
    }

    function publishBytes(bytes calldata raw) external {
        _publish(raw.length > 70 ? raw[:70] : raw);
    }

    function _publish(bytes memory version) private {
        bool valid = SemVer.isValid(version);
        try registry.publish(NAME, string(version), keccak256(version), "uri") {
            accepted++;
            if (!valid) {
                acceptedInvalid++;
                lastMismatch = string(version);
            }
        } catch (bytes memory err) {
            rejected++;
            bytes4 selector = bytes4(err);
            if (selector == ModuleRegistry.InvalidVersion.selector) {
                if (valid) {
                    rejectedValid++;
                    lastMismatch = string(version);
                }
            } else if (selector != ModuleRegistry.VersionExists.selector) {
                otherErrors++;
            }
        }
    }

    /// @dev MAJOR.MINOR.PATCH, then none, a prerelease, a build or both, of dot-joined identifiers;
    ///      each piece is drawn from a list that is mostly valid with the invalid cases mixed in
    ///      (leading zeros, empty parts, characters outside the set, a second '+', over 64 bytes).
    function _versionFrom(uint256 seed) private pure returns (bytes memory v) {
        string[8] memory numbers = ["0", "1", "7", "10", "123", "2", "01", ""];
        string[16] memory ids = [
            "0", "1", "alpha", "rc", "Z9", "x-y", "--", "0a", "001", "beta", "7", "01", "", "_", "\u00e9+", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ];
        uint256 r = uint256(keccak256(abi.encode(seed)));
        v = abi.encodePacked(numbers[r % 8], ".", numbers[(r >> 3) % 8], ".", numbers[(r >> 6) % 8]);
        uint256 mode = (r >> 9) % 4; // 0: core only, 1: -pre, 2: +build, 3: -pre+build
        uint256 bits = 11;
        for (uint256 part = 1; part <= 2; part++) {
            if (mode & part == 0) continue;
            v = abi.encodePacked(v, part == 1 ? "-" : "+");
            uint256 count = 1 + (r >> bits) % 3;
            bits += 2;
            for (uint256 k = 0; k < count; k++) {
                // Mostly the first 12 (valid in a build; all but the leading zeros in a prerelease).
                uint256 pick = (r >> bits) % 32;
                bits += 5;
                v = abi.encodePacked(v, k == 0 ? "" : ".", ids[pick < 24 ? pick % 12 : pick - 16]);
            }
        }
    }
}

contract VersionsInvariantTest is InvariantTest {
    ModuleRegistry private registry;
    VersionHandler private handler;

    function setUp() public {
        registry = new ModuleRegistry();
        handler = new VersionHandler(registry);
        vm.roll(block.number + 1);
        handler.claim();
        bytes4[] memory actions = new bytes4[](2);
        actions[0] = VersionHandler.publishTokens.selector;
        actions[1] = VersionHandler.publishBytes.selector;
        _target(address(handler), actions);
    }

    /// @notice Every version on chain is SemVer 2.0.0 per the reference, and every version the
    ///         reference accepts was accepted (or was already there).
    function invariant_theChainAcceptsExactlySemVer() public view {
        string[] memory published = registry.versions(handler.NAME());
        for (uint256 k = 0; k < published.length; k++) {
            require(SemVer.isValid(bytes(published[k])), string.concat("accepted a version that is not SemVer: ", published[k]));
        }
        require(published.length == handler.accepted(), "the version list differs from the publishes accepted");
        require(handler.acceptedInvalid() == 0, string.concat("accepted an invalid version: ", handler.lastMismatch()));
        require(handler.rejectedValid() == 0, string.concat("refused a valid version: ", handler.lastMismatch()));
        require(handler.otherErrors() == 0, "a publish reverted with an error other than InvalidVersion or VersionExists");
    }

    function afterInvariant() public view {
        console.log("versions accepted", handler.accepted());
        console.log("versions refused", handler.rejected());
    }
}

/// @notice Holds the reference check, and the contract, to the shared vectors, so that the invariant
///         above compares the contract with something known to be right.
contract VersionVectorsTest {
    bool public constant IS_TEST = true;

    function test_referenceAndContract_agreeWithTheVersionVectors() public {
        string memory json = vm.readFile("../../tests/vectors/module-versions.json");
        string[] memory valid = vm.parseJsonStringArray(json, ".valid");
        uint256 count = 0;
        while (vm.keyExistsJson(json, string.concat(".invalid[", vm.toString(count), "]"))) count++;
        string[] memory invalid = new string[](count);
        for (uint256 k = 0; k < count; k++) {
            invalid[k] = vm.parseJsonString(json, string.concat(".invalid[", vm.toString(k), "].value"));
        }
        require(valid.length > 10 && invalid.length > 10, "the vectors did not load");

        ModuleRegistry registry = new ModuleRegistry();
        bytes32 salt = keccak256("vectors");
        registry.commitName(registry.commitmentOf("vectors", address(this), salt));
        vm.roll(block.number + 1);
        registry.claimName("vectors", salt);

        for (uint256 k = 0; k < valid.length; k++) {
            require(SemVer.isValid(bytes(valid[k])), string.concat("the reference refuses a valid vector: ", valid[k]));
            registry.publish("vectors", valid[k], keccak256(bytes(valid[k])), "uri");
        }
        for (uint256 k = 0; k < invalid.length; k++) {
            require(!SemVer.isValid(bytes(invalid[k])), string.concat("the reference accepts an invalid vector: ", invalid[k]));
            try registry.publish("vectors", invalid[k], keccak256(bytes(invalid[k])), "uri") {
                revert(string.concat("the contract accepts an invalid vector: ", invalid[k]));
            } catch (bytes memory err) {
                require(bytes4(err) == ModuleRegistry.InvalidVersion.selector, "an invalid vector reverted with another error");
            }
        }
    }
}
