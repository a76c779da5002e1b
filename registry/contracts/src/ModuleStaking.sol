// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ModuleRegistry} from "./ModuleRegistry.sol";

/// @title Staking $GPT on modules, and stake-weighted votes on them.
/// @notice Staking and voting are one contract on purpose: a vote's weight is the voter's stake on
///         that module, and it must move in the same transaction as the stake. So a token staked on
///         a module counts for one vote on that module only, never twice; an unstake lowers the live
///         vote at once; and tokens staked in a block count from the next block on, so a stake
///         borrowed and repaid within one block (a flash loan) adds nothing to a vote.
contract ModuleStaking is ReentrancyGuard {
    using SafeERC20 for IERC20;

    enum Direction { None, Up, Down }

    struct Position {
        uint256 settled;      // counts for votes
        uint256 fresh;        // staked in block freshBlock: counts from the block after
        uint256 freshBlock;
        uint256 unstaking;    // requested out, waiting for the cooldown; counts for nothing
        uint256 unlocksAt;
    }

    struct Vote {
        Direction direction;
        uint256 weight;
    }

    IERC20 public immutable token;
    ModuleRegistry public immutable registry;
    uint256 public immutable cooldown;

    mapping(bytes32 module => mapping(address staker => Position)) private _positions;
    mapping(bytes32 module => mapping(address staker => Vote)) private _votes;
    mapping(bytes32 module => uint256) public totalStake;
    mapping(address staker => uint256) public stakerTotal;
    mapping(bytes32 module => uint256) public upWeight;
    mapping(bytes32 module => uint256) public downWeight;
    /// @notice Every token this contract holds: stakes plus unstakes waiting for their cooldown.
    uint256 public totalHeld;

    event Staked(bytes32 indexed module, address indexed staker, uint256 amount, uint256 stake);
    event UnstakeRequested(bytes32 indexed module, address indexed staker, uint256 amount, uint256 unlocksAt, uint256 stake);
    event Withdrawn(bytes32 indexed module, address indexed staker, uint256 amount);
    event Voted(bytes32 indexed module, address indexed voter, Direction direction, uint256 weight, uint256 upWeight, uint256 downWeight);

    error UnknownModule(bytes32 module);
    error ZeroAmount();
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error CooldownNotOver(uint256 unlocksAt, uint256 nowTime);
    error NoStake();
    error VoteUnchanged(Direction direction);

    constructor(IERC20 token_, ModuleRegistry registry_, uint256 cooldown_) {
        token = token_;
        registry = registry_;
        cooldown = cooldown_;
    }

    function stake(bytes32 module, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!registry.exists(module)) revert UnknownModule(module);
        Position storage p = _settle(module, msg.sender);
        token.safeTransferFrom(msg.sender, address(this), amount);
        p.fresh += amount;
        p.freshBlock = block.number;
        totalStake[module] += amount;
        stakerTotal[msg.sender] += amount;
        totalHeld += amount;
        emit Staked(module, msg.sender, amount, p.settled + p.fresh);
    }

    /// @notice Starts the cooldown on part of a stake; it stops counting at once. A second request
    ///         adds to the first and restarts the cooldown.
    function requestUnstake(bytes32 module, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Position storage p = _settle(module, msg.sender);
        uint256 available = p.settled + p.fresh;
        if (amount > available) revert InsufficientStake(amount, available);
        // Fresh tokens leave first: they do not count for votes yet.
        uint256 fromFresh = amount < p.fresh ? amount : p.fresh;
        p.fresh -= fromFresh;
        p.settled -= amount - fromFresh;
        p.unstaking += amount;
        p.unlocksAt = block.timestamp + cooldown;
        totalStake[module] -= amount;
        stakerTotal[msg.sender] -= amount;
        _capVote(module, msg.sender, p.settled);
        emit UnstakeRequested(module, msg.sender, amount, p.unlocksAt, p.settled + p.fresh);
    }

    function withdraw(bytes32 module) external nonReentrant {
        Position storage p = _positions[module][msg.sender];
        uint256 amount = p.unstaking;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < p.unlocksAt) revert CooldownNotOver(p.unlocksAt, block.timestamp);
        p.unstaking = 0;
        totalHeld -= amount;
        token.safeTransfer(msg.sender, amount);
        emit Withdrawn(module, msg.sender, amount);
    }

    /// @notice Votes up or down with the stake that counts now; voting again in another direction
    ///         changes the vote, and voting again in the same direction refreshes its weight.
    function vote(bytes32 module, Direction direction) external {
        if (direction == Direction.None) revert VoteUnchanged(direction);
        Position storage p = _settle(module, msg.sender);
        uint256 weight = p.settled;
        if (weight == 0) revert NoStake();
        Vote storage v = _votes[module][msg.sender];
        if (v.direction == direction && v.weight == weight) revert VoteUnchanged(direction);
        _untally(module, v);
        v.direction = direction;
        v.weight = weight;
        if (direction == Direction.Up) upWeight[module] += weight;
        else downWeight[module] += weight;
        emit Voted(module, msg.sender, direction, weight, upWeight[module], downWeight[module]);
    }

    function position(bytes32 module, address staker)
        external
        view
        returns (uint256 counting, uint256 notYetCounting, uint256 unstaking, uint256 unlocksAt)
    {
        Position storage p = _positions[module][staker];
        bool matured = p.freshBlock < block.number;
        return (p.settled + (matured ? p.fresh : 0), matured ? 0 : p.fresh, p.unstaking, p.unlocksAt);
    }

    function voteOf(bytes32 module, address voter) external view returns (Direction direction, uint256 weight) {
        Vote storage v = _votes[module][voter];
        return (v.direction, v.weight);
    }

    /// @dev Moves stake made in earlier blocks from fresh to settled.
    function _settle(bytes32 module, address staker) private returns (Position storage p) {
        p = _positions[module][staker];
        if (p.fresh != 0 && p.freshBlock < block.number) {
            p.settled += p.fresh;
            p.fresh = 0;
        }
    }

    /// @dev After an unstake, a live vote weighs no more than the stake left.
    function _capVote(bytes32 module, address voter, uint256 settled) private {
        Vote storage v = _votes[module][voter];
        if (v.direction == Direction.None || v.weight <= settled) return;
        uint256 drop = v.weight - settled;
        if (v.direction == Direction.Up) upWeight[module] -= drop;
        else downWeight[module] -= drop;
        v.weight = settled;
        if (settled == 0) v.direction = Direction.None;
        emit Voted(module, voter, v.direction, v.weight, upWeight[module], downWeight[module]);
    }

    function _untally(bytes32 module, Vote storage v) private {
        if (v.direction == Direction.Up) upWeight[module] -= v.weight;
        else if (v.direction == Direction.Down) downWeight[module] -= v.weight;
    }
}
