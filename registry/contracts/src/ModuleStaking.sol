// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ModuleRegistry} from "./ModuleRegistry.sol";

/// @title Staking $GPT on modules, and stake-weighted votes on them.
/// @notice Staking and voting are one contract on purpose: a vote's weight is the voter's stake on
///         that module, and it must move in the same transaction as the stake. So a token staked on
///         a module counts for one vote on that module only, never twice; an unstake lowers the live
///         vote at once; and tokens staked in a block count from the next block on, so a stake
///         borrowed and repaid within one block (a flash loan) adds nothing to a vote.
///
///         Rewards: anyone may `distribute` $GPT to a module's stakers (and the call escrow, the
///         stakers' share of paid calls, by `credit`). It is shared pro rata to the stake that
///         counts when it arrives, without a loop over stakers: a reward-per-token accumulator per
///         module grows by amount / counting stake, and each staker's due is its counting stake times the growth
///         since it last changed (Synthetix / MasterChef style), settled on every stake change.
///         Stake made in a block counts from the next block for rewards too, so a stake borrowed
///         and repaid around a distribution earns nothing. A module with no counting stake cannot
///         receive a distribution (NoCountingStake; `credit` answers false); the escrow pays that share
///         to the module's owner.
///
///         The call escrow, fixed at construction, distributes through `credit` instead: it holds
///         the tokens already, so it transfers them here itself rather than approving this contract
///         to pull them (transferFrom would read the allowance, a cold slot, on every redemption),
///         and `credit` answers false instead of reverting when no stake counts, so the escrow needs
///         no separate look-up of the counting stake before paying.
contract ModuleStaking is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    enum Direction { None, Up, Down }

    struct Position {
        uint256 settled;      // counts for votes
        uint256 fresh;        // staked in block freshBlock: counts from the block after
        uint256 freshBlock;
        uint256 unstaking;    // requested out, waiting for the cooldown; counts for nothing
        uint256 unlocksAt;
        uint256 rewardDebt;   // the module's accumulator when `settled` last earned
        uint256 freshAcc;     // the accumulator when `fresh` was staked (it earns from its block's end)
        uint256 rewards;      // earned, not yet claimed
    }

    /// @dev A module's stake and reward pool. `pending` is the stake made in `pendingBlock`; stake
    ///      waits one block at most, so the module's counting stake is `totalStake` less `pending`
    ///      while `pendingBlock` is the current block, and all of it afterwards: nothing needs
    ///      writing when a block ends. 128 bits hold any stake of a token whose supply stays below
    ///      3.4e20 $GPT (SafeCast checks).
    ///
    ///      The layout is for the distribution, paid on every redemption of a paid call: it reads
    ///      `totalStake` and `pendingBlock` from one slot and writes the accumulator in another, and
    ///      reads `pending` (a third slot) only when stake was made in the same block. Keeping
    ///      `totalStake` in a mapping of its own cost one more cold slot per distribution.
    struct Pool {
        uint256 accPerToken;  // slot 0: rewards per counting token, scaled by ACC_SCALE
        uint128 totalStake;   // slot 1: all stake on the module, counting or not yet
        uint64 pendingBlock;  // slot 1
        uint128 pending;      // slot 2
    }

    struct Vote {
        Direction direction;
        uint256 weight;
    }

    /// @notice The accumulator's fixed-point scale.
    uint256 public constant ACC_SCALE = 1e18;

    IERC20 public immutable token;
    ModuleRegistry public immutable registry;
    uint256 public immutable cooldown;
    /// @notice The call escrow: the only caller of `credit`. Immutable, so that checking the caller
    ///         reads no storage; the escrow is deployed after this contract, at an address its
    ///         deployer computes beforehand, and checks at its construction that it is this one.
    address public immutable escrow;

    mapping(bytes32 module => mapping(address staker => Position)) private _positions;
    mapping(bytes32 module => mapping(address staker => Vote)) private _votes;
    mapping(address staker => uint256) public stakerTotal;
    mapping(bytes32 module => uint256) public upWeight;
    mapping(bytes32 module => uint256) public downWeight;
    /// @notice Every staked token this contract holds: stakes plus unstakes waiting for their
    ///         cooldown. Rewards distributed and not yet claimed are held on top of it.
    uint256 public totalHeld;
    mapping(bytes32 module => Pool) private _pools;
    /// @dev The accumulator at the end of a block, written only by a distribution made in a block in
    ///      which stake was also made, so that this stake starts earning after it, not during it.
    mapping(bytes32 module => mapping(uint256 blockNumber => uint256)) private _accAtBlock;

    event Staked(bytes32 indexed module, address indexed staker, uint256 amount, uint256 stake);
    event UnstakeRequested(bytes32 indexed module, address indexed staker, uint256 amount, uint256 unlocksAt, uint256 stake);
    event Withdrawn(bytes32 indexed module, address indexed staker, uint256 amount);
    event Voted(bytes32 indexed module, address indexed voter, Direction direction, uint256 weight, uint256 upWeight, uint256 downWeight);
    /// @notice `amount` shared over `countingStake`. The event leaves out what it would only repeat
    ///         (each word costs gas on every paid redemption): the accumulator grew by
    ///         amount * ACC_SCALE / countingStake, rounded down; and who paid is the sender of the
    ///         same transaction's Transfer to this contract (the call escrow, whose one transfer
    ///         per batch covers the credits of all its modules, or the caller of `distribute`).
    event RewardsDistributed(bytes32 indexed module, uint256 amount, uint256 countingStake);
    event RewardsClaimed(bytes32 indexed module, address indexed staker, uint256 amount);

    error UnknownModule(bytes32 module);
    error ZeroAmount();
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error CooldownNotOver(uint256 unlocksAt, uint256 nowTime);
    error NoStake();
    error VoteUnchanged(Direction direction);
    error NoCountingStake(bytes32 module);
    error NothingToClaim();
    error NotEscrow(address caller);

    constructor(IERC20 token_, ModuleRegistry registry_, uint256 cooldown_, address escrow_) {
        token = token_;
        registry = registry_;
        cooldown = cooldown_;
        escrow = escrow_;
    }

    function stake(bytes32 module, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!registry.exists(module)) revert UnknownModule(module);
        Position storage p = _settle(module, msg.sender);
        token.safeTransferFrom(msg.sender, address(this), amount);
        Pool storage pool = _pools[module];
        if (p.fresh == 0) p.freshAcc = pool.accPerToken;
        p.fresh += amount;
        p.freshBlock = block.number;
        if (pool.pendingBlock == block.number) {
            pool.pending += SafeCast.toUint128(amount);
        } else {
            (pool.pending, pool.pendingBlock) = (SafeCast.toUint128(amount), uint64(block.number));
        }
        pool.totalStake = SafeCast.toUint128(pool.totalStake + amount);
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
        // The staker's fresh tokens are this block's (older ones were settled above), so they are
        // in the pool's pending bucket; the rest leaves the counting stake with totalStake.
        Pool storage pool = _pools[module];
        if (fromFresh != 0) pool.pending -= uint128(fromFresh);
        p.unstaking += amount;
        p.unlocksAt = block.timestamp + cooldown;
        pool.totalStake -= uint128(amount);
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

    /// @notice Shares `amount` $GPT, pulled from the caller, among the module's stakers pro rata to
    ///         the stake that counts now. Reverts with NoCountingStake when nothing counts. The
    ///         accumulator rounds down: what the division leaves, less than one wei per whole $GPT
    ///         staked, stays in the contract unclaimed.
    function distribute(bytes32 module, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (!_accrue(module, amount)) revert NoCountingStake(module);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice The escrow's distribution of `amount` to the module's stakers, pro rata to the stake
    ///         that counts now, like `distribute`; but the escrow transfers the tokens itself, right
    ///         after this returns true, in the same transaction. Returns false, and accounts
    ///         nothing, when no stake counts: the escrow then pays that share to the owner.
    /// @dev No reentrancy guard: only the escrow calls it, and it calls nothing outside.
    function credit(bytes32 module, uint256 amount) external returns (bool) {
        if (msg.sender != escrow) revert NotEscrow(msg.sender);
        return _accrue(module, amount);
    }

    /// @notice Pays the caller the rewards its stake on the module has earned.
    function claim(bytes32 module) external nonReentrant {
        Position storage p = _settle(module, msg.sender);
        uint256 amount = p.rewards;
        if (amount == 0) revert NothingToClaim();
        p.rewards = 0;
        token.safeTransfer(msg.sender, amount);
        emit RewardsClaimed(module, msg.sender, amount);
    }

    /// @notice Rewards the staker could claim on the module now.
    function claimable(bytes32 module, address staker) external view returns (uint256) {
        Position storage p = _positions[module][staker];
        uint256 acc = _pools[module].accPerToken;
        uint256 due = p.rewards + p.settled * (acc - p.rewardDebt) / ACC_SCALE;
        if (p.fresh != 0 && p.freshBlock < block.number) due += p.fresh * (acc - _freshStart(module, p)) / ACC_SCALE;
        return due;
    }

    /// @notice The module's stake that counts now, for votes and for rewards.
    function countingStake(bytes32 module) external view returns (uint256) {
        Pool storage pool = _pools[module];
        return pool.totalStake - (pool.pendingBlock == block.number ? pool.pending : 0);
    }

    /// @notice All stake on the module: what counts and what counts from the next block on.
    function totalStake(bytes32 module) external view returns (uint256) {
        return _pools[module].totalStake;
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

    /// @dev Grows the module's accumulator by `amount` shared over the counting stake; false, and
    ///      nothing written, when no stake counts.
    function _accrue(bytes32 module, uint256 amount) private returns (bool) {
        Pool storage pool = _pools[module];
        bool pendingNow = pool.pendingBlock == block.number && pool.pending != 0;
        uint256 counting = pool.totalStake - (pendingNow ? pool.pending : 0);
        if (counting == 0) return false;
        uint256 acc = pool.accPerToken + amount * ACC_SCALE / counting;
        pool.accPerToken = acc;
        // Stake made in this block must not earn from this distribution: remember where it starts.
        if (pendingNow) _accAtBlock[module][block.number] = acc;
        emit RewardsDistributed(module, amount, counting);
        return true;
    }

    /// @dev Moves the staker's stake made in earlier blocks from fresh to settled, after adding what
    ///      the position earned since it last changed.
    function _settle(bytes32 module, address staker) private returns (Position storage p) {
        uint256 acc = _pools[module].accPerToken;
        p = _positions[module][staker];
        uint256 earned = p.settled * (acc - p.rewardDebt) / ACC_SCALE;
        if (p.fresh != 0 && p.freshBlock < block.number) {
            // No distribution since the stake (the usual case): nothing earned, no lookup needed.
            if (acc != p.freshAcc) earned += p.fresh * (acc - _freshStart(module, p)) / ACC_SCALE;
            p.settled += p.fresh;
            p.fresh = 0;
        }
        if (earned != 0) p.rewards += earned;
        p.rewardDebt = acc;
    }

    /// @dev Where fresh stake starts earning: the accumulator at the end of the block it was made in.
    ///      That is the value a distribution later in that block recorded, else the value at staking
    ///      (no distribution followed it in its block). Both only grow, so it is the larger one.
    function _freshStart(bytes32 module, Position storage p) private view returns (uint256) {
        uint256 atEnd = _accAtBlock[module][p.freshBlock];
        return atEnd > p.freshAcc ? atEnd : p.freshAcc;
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
