// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The few Foundry cheatcodes the invariant tests use, declared here rather than taken from
///         forge-std, whose npm copy is an old unofficial one. Signatures as forge implements them.
interface Vm {
    function prank(address sender) external;
    function roll(uint256 newHeight) external;
    function warp(uint256 newTimestamp) external;
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonStringArray(string calldata json, string calldata key) external pure returns (string[] memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function toString(uint256 value) external pure returns (string memory);
}

/// @notice Forge's console (shown with -vv), for the figures that tell a run reached both sides of
///         what it checks. A low-level call: nothing is deployed at the address, so a typed call
///         would revert on Solidity's code-size check.
library console {
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok; // a console that is not there is no failure
    }
}

/// @dev Forge's cheatcode address: address(uint160(uint256(keccak256("hevm cheat code")))).
Vm constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

/// @notice What forge reads from an invariant test contract to choose the calls it fuzzes.
abstract contract InvariantTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    bool public constant IS_TEST = true;

    address[] private _targets;
    FuzzSelector[] private _selectors;

    /// @dev Fuzz only these functions of `target`: the handler's actions, not its views.
    function _target(address target, bytes4[] memory selectors) internal {
        _targets.push(target);
        _selectors.push(FuzzSelector(target, selectors));
    }

    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _selectors;
    }
}
