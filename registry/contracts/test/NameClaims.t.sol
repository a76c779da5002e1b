// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ModuleRegistry} from "../src/ModuleRegistry.sol";
import {InvariantTest, console, vm} from "./Vm.sol";

/// @notice A victim claims names one after another by commit and reveal; an attacker watches the
///         chain and the mempool. The attacker learns a name only when the victim's reveal is
///         broadcast (the commit shows only a hash), and may then get any transactions of its own
///         mined before the reveal in that block: commit anything, the victim's hash included, and
///         claim anything. At any other time it may commit hashes it has seen or made and claim the
///         names it knows. The block of the reveal is the one in which it was broadcast: a builder
///         who withholds a reveal for a block is outside what commit-reveal can answer.
contract ClaimHandler {
    ModuleRegistry public immutable registry;
    address public constant VICTIM = address(0xA11CE);
    address public constant ATTACKER = address(0xBAD);

    // Forge may not carry block number and time from one call of a run to the next: the handler
    // keeps its own clock and sets it at the start of every action.
    uint256 public blockNumber = 1;
    uint256 public timestamp = 1_700_000_000;

    // The victim's current claim: the name victim.<round>.
    uint256 public round;
    bytes32 private _salt;
    bytes32 private _commitment;
    uint256 private _committedBlock;
    uint256 private _committedTime;
    bool public revealPending;

    // What the attacker knows: hashes seen in commits, names it may claim, and its own commitments.
    bytes32[] private _seenHashes;
    string[] private _knownNames;
    string[] private _committedNames;
    bytes32[] private _committedSalts;

    // Ghosts read by the invariants.
    uint256 public victimClaims;
    uint256 public attackerClaims;
    uint256 public revealFailures;
    bytes public lastRevealError;
    uint256 public frontRunCalls;

    constructor(ModuleRegistry registry_) {
        registry = registry_;
        _knownNames.push("other.a");
        _knownNames.push("other.b");
        _knownNames.push("other.c");
        vm.roll(blockNumber);
        vm.warp(timestamp);
    }

    function victimName(uint256 k) public pure returns (string memory) {
        return string.concat("victim.", _decimal(k));
    }

    /// @notice The victim's live commitment as the victim made it (block 0: none live).
    function victimCommitment() external view returns (bytes32 commitment, uint256 committedBlock, uint256 committedTime) {
        return (_commitment, _committedBlock, _committedTime);
    }

    // ---- the victim ----

    /// @notice Commits for the current name, or again with a new salt once the last commitment expired.
    function victimCommit(bytes32 seed) external {
        _sync();
        if (revealPending) return;
        if (_committedBlock != 0 && timestamp <= _committedTime + registry.MAX_COMMIT_AGE()) return;
        _salt = keccak256(abi.encode(seed, round));
        _commitment = registry.commitmentOf(victimName(round), VICTIM, _salt);
        vm.prank(VICTIM);
        registry.commitName(_commitment);
        _committedBlock = blockNumber;
        _committedTime = timestamp;
        _seenHashes.push(_commitment); // a commit transaction is public
    }

    /// @notice Broadcasts the reveal once the commitment is old enough and not expired: from now until
    ///         the reveal is mined, in this block, the attacker knows the name and the salt.
    function victimBroadcastReveal() external {
        _sync();
        if (revealPending || _committedBlock == 0) return;
        if (blockNumber < _committedBlock + registry.MIN_COMMIT_AGE()) return;
        if (timestamp > _committedTime + registry.MAX_COMMIT_AGE()) return;
        revealPending = true;
        _knownNames.push(victimName(round));
        _committedNames.push(victimName(round)); // the attacker may try the victim's own salt
        _committedSalts.push(_salt);
    }

    /// @notice Mines the pending reveal, after whatever the attacker slipped in before it.
    function victimReveal() external {
        _sync();
        if (revealPending) _reveal();
    }

    // ---- the attacker ----

    /// @notice Commits a hash seen on chain (the victim's), a commitment of its own for a known name,
    ///         or any hash at all.
    function attackerCommit(uint256 choice, bytes32 salt) external {
        _sync();
        if (revealPending) frontRunCalls++;
        bytes32 commitment;
        if (choice % 3 == 0 && _seenHashes.length > 0) {
            commitment = _seenHashes[(choice / 3) % _seenHashes.length];
        } else if (choice % 3 == 1) {
            string memory name = _knownNames[(choice / 3) % _knownNames.length];
            commitment = registry.commitmentOf(name, ATTACKER, salt);
            _committedNames.push(name);
            _committedSalts.push(salt);
        } else {
            commitment = salt;
        }
        vm.prank(ATTACKER);
        registry.commitName(commitment);
    }

    /// @notice The attack itself, made likely rather than left to chance: with a reveal pending, re-send
    ///         the victim's commitment and commit one of its own for the revealed name.
    function attackerFrontRun(bytes32 salt) external {
        _sync();
        if (!revealPending) return;
        frontRunCalls++;
        vm.prank(ATTACKER);
        registry.commitName(_commitment);
        string memory name = victimName(round);
        vm.prank(ATTACKER);
        registry.commitName(registry.commitmentOf(name, ATTACKER, salt));
        _committedNames.push(name);
        _committedSalts.push(salt);
    }

    /// @notice Claims a name it knows, with the salt of one of its commitments (or the victim's), or with any salt.
    function attackerClaim(uint256 choice, bytes32 salt) external {
        _sync();
        if (revealPending) frontRunCalls++;
        string memory name;
        if (choice % 2 == 0 && _committedNames.length > 0) {
            uint256 k = (choice / 2) % _committedNames.length;
            (name, salt) = (_committedNames[k], _committedSalts[k]);
        } else {
            name = _knownNames[(choice / 2) % _knownNames.length];
        }
        vm.prank(ATTACKER);
        try registry.claimName(name, salt) {
            attackerClaims++;
        } catch {}
    }

    // ---- time ----

    /// @notice Ends the block (mining a pending reveal in it) and moves on by 1-3 blocks and up to an hour.
    function mine(uint8 blocks, uint16 secondsLater) external {
        _sync();
        if (revealPending) _reveal();
        blockNumber += 1 + (blocks % 3);
        timestamp += 1 + (secondsLater % 1 hours);
        _sync();
    }

    /// @notice A long wait, past the victim's commitment's expiry, so that it commits afresh.
    function sleep() external {
        _sync();
        if (revealPending) _reveal();
        blockNumber += 1;
        timestamp += registry.MAX_COMMIT_AGE() + 1;
        _sync();
    }

    function _reveal() private {
        revealPending = false;
        _committedBlock = 0;
        string memory name = victimName(round);
        round++;
        vm.prank(VICTIM);
        try registry.claimName(name, _salt) {
            victimClaims++;
        } catch (bytes memory err) {
            revealFailures++;
            lastRevealError = err;
        }
    }

    function _sync() private {
        vm.roll(blockNumber);
        vm.warp(timestamp);
    }

    function _decimal(uint256 k) private pure returns (string memory) {
        if (k == 0) return "0";
        bytes memory digits;
        for (; k > 0; k /= 10) {
            digits = abi.encodePacked(bytes1(uint8(48 + (k % 10))), digits);
        }
        return string(digits);
    }
}

contract NameClaimsInvariantTest is InvariantTest {
    ModuleRegistry private registry;
    ClaimHandler private handler;

    function setUp() public {
        registry = new ModuleRegistry();
        handler = new ClaimHandler(registry);
        bytes4[] memory actions = new bytes4[](8);
        actions[0] = ClaimHandler.victimCommit.selector;
        actions[1] = ClaimHandler.victimBroadcastReveal.selector;
        actions[2] = ClaimHandler.victimReveal.selector;
        actions[3] = ClaimHandler.attackerCommit.selector;
        actions[4] = ClaimHandler.attackerClaim.selector;
        actions[5] = ClaimHandler.mine.selector;
        actions[6] = ClaimHandler.sleep.selector;
        actions[7] = ClaimHandler.attackerFrontRun.selector;
        _target(address(handler), actions);
    }

    /// @notice Every reveal of an old-enough, live commitment succeeds: nothing the attacker sent
    ///         before it in its block, the victim's own hash re-committed included, made it revert.
    function invariant_aTimelyRevealNeverFails() public view {
        if (handler.revealFailures() != 0) {
            revert(string.concat("a timely reveal reverted, error data: ", _hex(handler.lastRevealError())));
        }
    }

    /// @notice The victim's live commitment is on chain exactly as the victim made it, whatever the
    ///         attacker committed since: no one else's transaction restarts or removes it.
    function invariant_theVictimsCommitmentIsAsItMadeIt() public view {
        (bytes32 commitment, uint256 committedBlock, uint256 committedTime) = handler.victimCommitment();
        if (committedBlock == 0) return;
        (uint64 onChainBlock, uint64 onChainTime) = registry.commitments(handler.VICTIM(), commitment);
        require(onChainBlock == committedBlock && onChainTime == committedTime, "the victim's commitment changed under it");
    }

    /// @notice Every name the victim revealed is the victim's: the attacker stole none.
    function invariant_theVictimOwnsEveryNameItRevealed() public view {
        uint256 rounds = handler.round(); // the names victim.0 .. victim.<rounds-1> were revealed
        for (uint256 k = 0; k < rounds; k++) {
            require(registry.ownerOf(handler.victimName(k)) == handler.VICTIM(), "a name the victim revealed is not the victim's");
        }
        require(handler.victimClaims() == rounds, "a reveal did not claim its name");
    }

    /// @notice Each successful claim counts one module, whoever made it.
    function invariant_moduleCountIsTheNumberOfClaims() public view {
        require(registry.moduleCount() == handler.victimClaims() + handler.attackerClaims(), "moduleCount differs from the claims made");
    }

    function afterInvariant() public view {
        console.log("names the victim claimed", handler.victimClaims());
        console.log("names the attacker claimed", handler.attackerClaims());
        console.log("attacker calls between a broadcast reveal and its block", handler.frontRunCalls());
    }

    function _hex(bytes memory data) private pure returns (string memory) {
        bytes16 symbols = "0123456789abcdef";
        bytes memory out = new bytes(2 + data.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 k = 0; k < data.length; k++) {
            out[2 + 2 * k] = symbols[uint8(data[k]) >> 4];
            out[3 + 2 * k] = symbols[uint8(data[k]) & 15];
        }
        return string(out);
    }
}
