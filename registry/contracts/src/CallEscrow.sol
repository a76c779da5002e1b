// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ModuleRegistry} from "./ModuleRegistry.sol";
import {ModuleStaking} from "./ModuleStaking.sol";

/// @title Escrow for paid module calls: deposits, signed cumulative vouchers, and their split.
/// @notice A payer deposits $GPT for one receiver (a host's address). With each call the payer
///         (or a hot key it authorized) signs an EIP-712 voucher for the cumulative amount it owes
///         that host for one module; the host keeps the latest and redeems vouchers in batches.
///         A redemption pays the increase over the last redeemed cumulative amount, in full or
///         not at all, split between the module's owner, the host and the module's stakers.
///
///         Why a voucher pays in full or is skipped, never in part: a redeem that paid
///         min(owed, balance) and then marked the voucher used would let a payer front-run the
///         host's redemption, drain its balance to a pittance, and have the host's voucher consumed
///         for that pittance. Here an underfunded voucher is skipped and stays redeemable.
///
///         Why money, signers and splits thaw before they change: the host serves on the strength
///         of the deposit, of the signer's key and of the module's split. A withdrawal, the
///         revocation of a signer and a new split take effect only after `thawPeriod`, so a host
///         that redeems within that period is always paid what it was promised.
///
///         Why the voucher holds the module's name, not its hash: a wallet shows the signer the
///         name itself, and EIP-712 encodes a `string` member as the keccak256 of its bytes, so the
///         signed struct still carries exactly the registry's key, keccak256(name). The escrow
///         hashes the name once and asks the registry for the owner by that hash (`ownerOfHash`);
///         the owner is read at every redemption, since a name may change hands.
///
///         Gas: a redemption is paid for with every call a host serves, so its path is kept short
///         (README, "The registry", has the figures). The stakers' share goes to the staking
///         contract by `credit`, which answers whether any stake counts (no separate look-up of
///         the counting stake first), and a plain transfer (no allowance for the staking contract
///         to read); the owner is looked up by the hash the escrow computed anyway; the Redeemed
///         event leaves out what it would only repeat.
contract CallEscrow is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice One signed promise: `payer` owes `receiver`, for calls to `module`, this much in all.
    struct Voucher {
        address payer;
        address receiver;
        string module;
        uint256 cumulativeAmount;
    }

    /// @notice A payer's deposit for one receiver. `thawing` of it may be withdrawn from
    ///         `thawEndsAt` on; until then all of it pays vouchers.
    struct Account {
        uint256 balance;
        uint256 thawing;
        uint256 thawEndsAt;
    }

    /// @notice A module's split, in basis points of each payment; the owner gets the rest. A new
    ///         split waits in `next*` until `nextFrom`. A host share of 0 means "never set": the
    ///         default applies (a set host share is at least MIN_HOST_BPS).
    struct Shares {
        uint16 hostBps;
        uint16 stakersBps;
        uint16 nextHostBps;
        uint16 nextStakersBps;
        uint64 nextFrom;
    }

    /// @dev What one batch owes for one module, paid once at the end of the batch (but for the
    ///      first stakers' part, see _split). `stakersBps` is set to 0 when the staking contract
    ///      refuses the stakers' part (no stake counts on the module): the owner gets it.
    struct Payout {
        bytes32 module;
        address owner;
        uint256 hostBps;
        uint256 stakersBps;
        bool credited;          // the staking contract took a stakers' part of this batch
        uint256 ownerAmount;
        uint256 stakersAmount;  // stakers' parts after the first, credited at the end
    }

    /// @notice Why a voucher in a batch was skipped (and left unconsumed).
    enum SkipReason {
        NotIncreasing,     // its cumulative amount is not above the one already redeemed
        InvalidSignature,  // malformed: wrong length, high s, bad v
        UnauthorizedSigner,// signed by a key that is neither the payer nor its live signer (or under another domain)
        UnknownModule,     // the module's name has no owner in the registry
        Underfunded        // the payer's balance for this receiver is below what the voucher adds
    }

    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address payer,address receiver,string module,uint256 cumulativeAmount)");
    uint16 public constant BPS = 10_000;
    /// @notice The host does the work of every call: it keeps at least this share.
    uint16 public constant MIN_HOST_BPS = 2_000;
    /// @notice Stakers curate; they get at most this share, so the work is paid first.
    uint16 public constant MAX_STAKERS_BPS = 5_000;
    /// @notice The split of a module whose owner set none: 70% host, 10% stakers, 20% owner.
    uint16 public constant DEFAULT_HOST_BPS = 7_000;
    uint16 public constant DEFAULT_STAKERS_BPS = 1_000;

    IERC20 public immutable token;
    ModuleRegistry public immutable registry;
    ModuleStaking public immutable staking;
    /// @notice Seconds a withdrawal and a signer's revocation wait before they take effect.
    uint256 public immutable thawPeriod;

    mapping(address payer => mapping(address receiver => Account)) private _accounts;
    /// @dev 0: not a signer; type(uint256).max: authorized; else: revoked, valid before this time.
    mapping(address payer => mapping(address signer => uint256)) private _signerValidUntil;
    mapping(address payer => mapping(address receiver => mapping(bytes32 module => uint256))) public redeemed;
    mapping(bytes32 module => Shares) private _shares;

    event Deposited(address indexed payer, address indexed receiver, uint256 amount, uint256 balance);
    event ThawStarted(address indexed payer, address indexed receiver, uint256 thawing, uint256 thawEndsAt);
    event ThawCancelled(address indexed payer, address indexed receiver);
    event Withdrawn(address indexed payer, address indexed receiver, uint256 amount, uint256 balance);
    event SignerAuthorized(address indexed payer, address indexed signer);
    event SignerRevoked(address indexed payer, address indexed signer, uint256 validUntil);
    event SharesSet(
        bytes32 indexed module, string name, address indexed owner, uint16 hostBps, uint16 stakersBps, uint16 ownerBps, uint256 effectiveFrom
    );
    /// @notice A voucher paid `ownerAmount + hostAmount + stakersAmount`, the increase of its
    ///         cumulative amount over the one redeemed before. `ownerAmount` includes the stakers'
    ///         share when no stake counted on the module. Every word of the event costs gas on
    ///         every redemption, so it leaves out what it would only repeat: the amount (the sum of
    ///         the three parts) and the owner it was paid to (the registry's owner of the module at
    ///         that block, which an indexer has from NameClaimed and NameTransferred).
    event Redeemed(
        address indexed payer,
        address indexed receiver,
        bytes32 indexed module,
        uint256 cumulativeAmount,
        uint256 ownerAmount,
        uint256 hostAmount,
        uint256 stakersAmount
    );
    event RedeemSkipped(
        address indexed payer, address indexed receiver, bytes32 indexed module, uint256 index, uint256 cumulativeAmount, SkipReason reason
    );

    error ZeroAmount();
    error ZeroAddress();
    error InsufficientBalance(uint256 requested, uint256 available);
    error NothingThawing();
    error ThawNotOver(uint256 thawEndsAt, uint256 nowTime);
    error InvalidSigner(address signer);
    error SignerAlreadyAuthorized(address signer);
    error SignerNotAuthorized(address signer);
    error LengthMismatch(uint256 vouchers, uint256 signatures);
    error NotReceiver(uint256 index, address receiver, address caller);
    error UnknownModuleName(string name);
    error NotModuleOwner(string name, address owner);
    error HostShareTooLow(uint16 hostBps, uint16 minHostBps);
    error StakersShareTooHigh(uint16 stakersBps, uint16 maxStakersBps);
    error SharesOverTotal(uint16 hostBps, uint16 stakersBps);
    error StakingForAnotherEscrow(address escrow);
    error StakeStoppedCounting(bytes32 module);

    constructor(IERC20 token_, ModuleRegistry registry_, ModuleStaking staking_, uint256 thawPeriod_)
        EIP712("Modulus CallEscrow", "1")
    {
        token = token_;
        registry = registry_;
        staking = staking_;
        thawPeriod = thawPeriod_;
        // The staking contract believes `credit` from this escrow alone, and fixed its address
        // before this one existed (its deployer computed it): a staking contract bound to another
        // address would refuse every stakers' share.
        if (staking_.escrow() != address(this)) revert StakingForAnotherEscrow(staking_.escrow());
    }

    // ---------------------------------------------------------------- payer: money

    /// @notice Adds `amount` $GPT (pulled from the caller) to its deposit for `receiver`.
    function deposit(address receiver, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (receiver == address(0)) revert ZeroAddress();
        token.safeTransferFrom(msg.sender, address(this), amount);
        Account storage a = _accounts[msg.sender][receiver];
        a.balance += amount;
        emit Deposited(msg.sender, receiver, amount, a.balance);
    }

    /// @notice Starts thawing `amount` more of the deposit for `receiver`; the whole thawing
    ///         amount becomes withdrawable `thawPeriod` from now (a new request restarts the wait).
    ///         Thawing money still pays vouchers until it is withdrawn.
    function thaw(address receiver, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Account storage a = _accounts[msg.sender][receiver];
        uint256 thawing = a.thawing + amount;
        if (thawing > a.balance) revert InsufficientBalance(thawing, a.balance);
        a.thawing = thawing;
        a.thawEndsAt = block.timestamp + thawPeriod;
        emit ThawStarted(msg.sender, receiver, thawing, a.thawEndsAt);
    }

    /// @notice Stops a thaw; the money stays deposited.
    function cancelThaw(address receiver) external {
        Account storage a = _accounts[msg.sender][receiver];
        if (a.thawing == 0) revert NothingThawing();
        a.thawing = 0;
        a.thawEndsAt = 0;
        emit ThawCancelled(msg.sender, receiver);
    }

    /// @notice Pays out what thawed, once the thaw is over: the thawing amount, or less when
    ///         vouchers redeemed in the meantime left less in the deposit.
    function withdraw(address receiver) external nonReentrant {
        Account storage a = _accounts[msg.sender][receiver];
        uint256 thawing = a.thawing;
        if (thawing == 0) revert NothingThawing();
        if (block.timestamp < a.thawEndsAt) revert ThawNotOver(a.thawEndsAt, block.timestamp);
        uint256 amount = thawing < a.balance ? thawing : a.balance;
        a.balance -= amount;
        a.thawing = 0;
        a.thawEndsAt = 0;
        if (amount != 0) token.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, receiver, amount, a.balance);
    }

    // ---------------------------------------------------------------- payer: signers

    /// @notice Lets `signer` sign vouchers on the caller's behalf (a hot key on the caller's
    ///         machine, say). No proof from the signer is needed: a voucher names its payer, so a
    ///         key authorized here can only spend this payer's deposits. Authorizing a signer whose
    ///         revocation is thawing cancels the revocation.
    function authorizeSigner(address signer) external {
        if (signer == address(0) || signer == msg.sender) revert InvalidSigner(signer);
        if (_signerValidUntil[msg.sender][signer] == type(uint256).max) revert SignerAlreadyAuthorized(signer);
        _signerValidUntil[msg.sender][signer] = type(uint256).max;
        emit SignerAuthorized(msg.sender, signer);
    }

    /// @notice Revokes a signer after `thawPeriod`: vouchers it signed stay redeemable until then.
    function revokeSigner(address signer) external {
        if (_signerValidUntil[msg.sender][signer] != type(uint256).max) revert SignerNotAuthorized(signer);
        uint256 validUntil = block.timestamp + thawPeriod;
        _signerValidUntil[msg.sender][signer] = validUntil;
        emit SignerRevoked(msg.sender, signer, validUntil);
    }

    // ---------------------------------------------------------------- module owner: shares

    /// @notice Sets the module's split. The host keeps at least MIN_HOST_BPS, the stakers get at
    ///         most MAX_STAKERS_BPS, and the owner gets the rest. It applies `thawPeriod` from now,
    ///         like a withdrawal: a host serves on the strength of the split it sees, and an owner
    ///         must not be able to cut it just before the host redeems. Setting a split again
    ///         before that replaces the waiting one.
    function setShares(string calldata name, uint16 hostBps, uint16 stakersBps) external {
        address owner = registry.ownerOf(name);
        if (owner == address(0)) revert UnknownModuleName(name);
        if (owner != msg.sender) revert NotModuleOwner(name, owner);
        if (hostBps < MIN_HOST_BPS) revert HostShareTooLow(hostBps, MIN_HOST_BPS);
        if (stakersBps > MAX_STAKERS_BPS) revert StakersShareTooHigh(stakersBps, MAX_STAKERS_BPS);
        if (uint256(hostBps) + stakersBps > BPS) revert SharesOverTotal(hostBps, stakersBps);
        bytes32 module = keccak256(bytes(name));
        (uint16 currentHost, uint16 currentStakers) = _effective(_shares[module]);
        uint256 effectiveFrom = block.timestamp + thawPeriod;
        _shares[module] = Shares(currentHost, currentStakers, hostBps, stakersBps, uint64(effectiveFrom));
        emit SharesSet(module, name, owner, hostBps, stakersBps, BPS - hostBps - stakersBps, effectiveFrom);
    }

    // ---------------------------------------------------------------- receiver: redemption

    /// @notice Redeems vouchers addressed to the caller; `signatures[i]` signs `vouchers[i]`.
    ///         Each voucher pays the increase of its cumulative amount over the last redeemed one
    ///         for its (payer, receiver, module), in full, or is skipped with a RedeemSkipped event
    ///         and left unconsumed (a stale amount, a bad signature, an unknown module, too small a
    ///         balance). Only the caller's own mistakes revert the batch: a voucher for another
    ///         receiver, or arrays of different lengths. A batch pays each module's owner and
    ///         stakers, and the caller, once, after summing its vouchers. Callers should chunk large
    ///         batches (a few hundred vouchers per transaction) to stay within a block's gas.
    /// @return paid The total paid out by this call.
    function redeem(Voucher[] calldata vouchers, bytes[] calldata signatures) external nonReentrant returns (uint256 paid) {
        if (vouchers.length != signatures.length) revert LengthMismatch(vouchers.length, signatures.length);
        uint256 hostTotal;
        uint256 stakersTotal;
        Payout[] memory payouts = new Payout[](vouchers.length);
        uint256 count;
        for (uint256 i; i < vouchers.length; ++i) {
            Voucher calldata v = vouchers[i];
            if (v.receiver != msg.sender) revert NotReceiver(i, v.receiver, msg.sender);
            bytes32 module = keccak256(bytes(v.module));
            Account storage account = _accounts[v.payer][msg.sender];
            mapping(bytes32 => uint256) storage last = redeemed[v.payer][msg.sender];
            (uint256 amount, SkipReason reason) = _owed(v, module, signatures[i], account, last[module]);
            if (amount == 0) {
                emit RedeemSkipped(v.payer, msg.sender, module, i, v.cumulativeAmount, reason);
                continue;
            }
            uint256 j = _payoutIndex(payouts, count, module);
            if (j == count) {
                address owner = registry.ownerOfHash(module);
                if (owner == address(0)) {
                    emit RedeemSkipped(v.payer, msg.sender, module, i, v.cumulativeAmount, SkipReason.UnknownModule);
                    continue;
                }
                _startPayout(payouts[count++], module, owner);
            }
            account.balance -= amount;
            last[module] = v.cumulativeAmount;
            (uint256 hostAmount, uint256 credited) = _split(v, payouts[j], amount);
            hostTotal += hostAmount;
            stakersTotal += credited;
            paid += amount;
        }
        // The token moves once per module (owner) and once for the stakers and the host, per
        // batch: every voucher of a batch is redeemed in the same block, against the same counting
        // stake, so summing first changes nobody's due (beyond the accumulator's rounding) and
        // saves a distribution and three transfers per voucher.
        for (uint256 j; j < count; ++j) {
            Payout memory payout = payouts[j];
            if (payout.stakersAmount != 0) {
                // The staking contract took this module's first share of the batch, so stake counts;
                // nothing in this transaction can have changed that since.
                if (!staking.credit(payout.module, payout.stakersAmount)) revert StakeStoppedCounting(payout.module);
                stakersTotal += payout.stakersAmount;
            }
            if (payout.ownerAmount != 0) token.safeTransfer(payout.owner, payout.ownerAmount);
        }
        if (stakersTotal != 0) token.safeTransfer(address(staking), stakersTotal);
        if (hostTotal != 0) token.safeTransfer(msg.sender, hostTotal);
    }

    // ---------------------------------------------------------------- views

    function accountOf(address payer, address receiver) external view returns (uint256 balance, uint256 thawing, uint256 thawEndsAt) {
        Account storage a = _accounts[payer][receiver];
        return (a.balance, a.thawing, a.thawEndsAt);
    }

    /// @notice 0: not a signer of the payer; type(uint256).max: authorized; else valid before this time.
    function signerValidUntil(address payer, address signer) external view returns (uint256) {
        return _signerValidUntil[payer][signer];
    }

    /// @notice Whether a voucher of `payer` signed by `signer` is accepted now.
    function isSigner(address payer, address signer) public view returns (bool) {
        return signer == payer || block.timestamp < _signerValidUntil[payer][signer];
    }

    /// @notice The split that applies to the module now (the default when its owner set none).
    function sharesOf(bytes32 module) public view returns (uint16 hostBps, uint16 stakersBps, uint16 ownerBps) {
        (hostBps, stakersBps) = _effective(_shares[module]);
        return (hostBps, stakersBps, BPS - hostBps - stakersBps);
    }

    /// @notice The split waiting to apply, and from when (all 0 when none waits).
    function pendingSharesOf(bytes32 module) external view returns (uint16 hostBps, uint16 stakersBps, uint256 effectiveFrom) {
        Shares memory s = _shares[module];
        if (s.nextFrom == 0 || block.timestamp >= s.nextFrom) return (0, 0, 0);
        return (s.nextHostBps, s.nextStakersBps, s.nextFrom);
    }

    /// @notice The EIP-712 digest a voucher's signer signs.
    function voucherDigest(Voucher calldata v) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(VOUCHER_TYPEHASH, v.payer, v.receiver, keccak256(bytes(v.module)), v.cumulativeAmount))
        );
    }

    // ---------------------------------------------------------------- internals

    function _effective(Shares memory s) private view returns (uint16 hostBps, uint16 stakersBps) {
        if (s.nextFrom != 0 && block.timestamp >= s.nextFrom) return (s.nextHostBps, s.nextStakersBps);
        if (s.hostBps == 0) return (DEFAULT_HOST_BPS, DEFAULT_STAKERS_BPS);
        return (s.hostBps, s.stakersBps);
    }

    /// @dev What the voucher adds now, or 0 and why it adds nothing.
    function _owed(Voucher calldata v, bytes32 module, bytes calldata signature, Account storage account, uint256 last)
        private
        view
        returns (uint256, SkipReason)
    {
        if (v.cumulativeAmount <= last) return (0, SkipReason.NotIncreasing);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, v.payer, v.receiver, module, v.cumulativeAmount)));
        // tryRecover rejects a wrong length, a high s (the malleable twin of a signature) and a bad v.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) return (0, SkipReason.InvalidSignature);
        // A signature made under another domain (another escrow, another chain) recovers some
        // unrelated address, so it lands here too.
        if (!isSigner(v.payer, signer)) return (0, SkipReason.UnauthorizedSigner);
        uint256 amount = v.cumulativeAmount - last;
        if (account.balance < amount) return (0, SkipReason.Underfunded);
        return (amount, SkipReason.NotIncreasing);
    }

    /// @dev The index of the batch's payout for the module, or `count` when it has none yet.
    function _payoutIndex(Payout[] memory payouts, uint256 count, bytes32 module) private pure returns (uint256 j) {
        while (j < count && payouts[j].module != module) ++j;
    }

    /// @dev Fills in the batch's (zeroed) payout for a module new to the batch.
    function _startPayout(Payout memory payout, bytes32 module, address owner) private view {
        (payout.module, payout.owner) = (module, owner);
        (payout.hostBps, payout.stakersBps) = _effective(_shares[module]);
    }

    /// @dev Splits a voucher's amount, adds the owner's part to the module's payout and emits the
    ///      voucher's Redeemed event; returns the host's part, and the stakers' part when it was
    ///      credited here (its tokens are transferred at the end of the batch). The owner gets the
    ///      rest (the rounding remainder too), so the three add up to `amount` exactly; the host's
    ///      and the stakers' parts are at most `amount`, since hostBps + stakersBps <= BPS.
    ///
    ///      The module's first stakers' part in the batch goes to the staking contract's `credit`
    ///      at once: its answer, whether any stake counts, must be known before the event says
    ///      where the part went, and asking with the credit itself saves a call. Refused, that part
    ///      and the module's later ones in the batch go to the owner; taken, the later ones are
    ///      summed and credited once, at the end of the batch.
    function _split(Voucher calldata v, Payout memory payout, uint256 amount) private returns (uint256 hostAmount, uint256 credited) {
        hostAmount = amount * payout.hostBps / BPS;
        uint256 stakersAmount = amount * payout.stakersBps / BPS;
        if (stakersAmount != 0) {
            if (payout.credited) {
                payout.stakersAmount += stakersAmount;
            } else if (staking.credit(payout.module, stakersAmount)) {
                payout.credited = true;
                credited = stakersAmount;
            } else {
                payout.stakersBps = 0;
                stakersAmount = 0;
            }
        }
        uint256 ownerAmount = amount - hostAmount - stakersAmount;
        payout.ownerAmount += ownerAmount;
        emit Redeemed(v.payer, msg.sender, payout.module, v.cumulativeAmount, ownerAmount, hostAmount, stakersAmount);
    }
}
