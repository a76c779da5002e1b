// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The Modulus module registry: names, immutable versions, and the hosts that serve them.
/// @notice Claiming a name is commit-then-reveal. A claim in plain sight could be copied from the
///         mempool and mined first; here the claimant first commits keccak256(name, claimant, salt),
///         and may reveal only in a later block. A copier who sees the reveal has no commitment of
///         their own made before it, and cannot use the claimant's: it binds the claimant's address.
///         Nor can a copier touch the claimant's commitment: commitments are kept per committer, so
///         re-sending the same hash from another account records it under that account alone.
contract ModuleRegistry {
    struct Version {
        bytes32 contentHash;
        string packageUri;
        uint64 publishedAt;
        bool deprecated;
    }

    struct Commitment {
        uint64 blockNumber;
        uint64 timestamp;
    }

    /// @notice Blocks a commitment must age before its reveal; and the most time it may age, after
    ///         which a forgotten commitment no longer counts.
    uint256 public constant MIN_COMMIT_AGE = 1;
    uint256 public constant MAX_COMMIT_AGE = 1 days;

    /// @dev Keyed by committer, not by the hash alone. With one slot per hash anyone could re-commit
    ///      a hash seen in a victim's commit or reveal, resetting its block: the reveal then fails as
    ///      too new, and the front-runner claims the name with a commitment of its own a block later.
    ///      Refusing to overwrite a live hash would stop that too, but would let a front-runner who
    ///      copies a pending commit make the victim's own commit revert; per-committer slots leave no
    ///      state one account can change for another. Only the claimant's slot counts at the reveal
    ///      (claimName reads commitments[msg.sender]), so committing for someone else achieves nothing.
    mapping(address committer => mapping(bytes32 commitment => Commitment)) public commitments;
    mapping(bytes32 nameHash => address) private _owners;
    mapping(bytes32 nameHash => string) private _names;
    mapping(bytes32 nameHash => mapping(bytes32 versionHash => Version)) private _versions;
    mapping(bytes32 nameHash => string[]) private _versionList;
    mapping(bytes32 nameHash => mapping(bytes32 versionHash => mapping(address host => string))) private _hosts;
    uint256 public moduleCount;

    event NameCommitted(bytes32 indexed commitment, address indexed committer);
    event NameClaimed(bytes32 indexed nameHash, string name, address indexed owner);
    event NameTransferred(bytes32 indexed nameHash, string name, address indexed from, address indexed to);
    event VersionPublished(bytes32 indexed nameHash, string name, string version, bytes32 contentHash, string packageUri);
    event VersionDeprecated(bytes32 indexed nameHash, string name, string version, string reason);
    event HostAnnounced(bytes32 indexed nameHash, string name, string version, address indexed host, string endpoint);
    event HostWithdrawn(bytes32 indexed nameHash, string name, string version, address indexed host);

    error NameTaken(string name);
    error InvalidName(string name);
    error NoCommitment();
    error CommitmentTooNew(uint256 committedAt, uint256 revealableAt);
    error CommitmentExpired(uint256 committedAt, uint256 expiredAt);
    error NotOwner(string name, address owner);
    error UnknownName(string name);
    error VersionExists(string name, string version);
    error UnknownVersion(string name, string version);
    error InvalidVersion(string version);
    error EmptyContentHash();
    error EmptyEndpoint();
    error NotAnnounced(string name, string version, address host);
    error ZeroAddress();

    modifier onlyOwner(string calldata name) {
        address owner = _owners[keccak256(bytes(name))];
        if (owner == address(0)) revert UnknownName(name);
        if (owner != msg.sender) revert NotOwner(name, owner);
        _;
    }

    /// @notice The commitment to reveal later with claimName: keccak256(abi.encode(name, claimant, salt)).
    function commitmentOf(string calldata name, address claimant, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(name, claimant, salt));
    }

    /// @notice Records a commitment for the sender; the sender must be the claimant it binds. Committing
    ///         the same hash again restarts the sender's own commitment and nobody else's.
    function commitName(bytes32 commitment) external {
        commitments[msg.sender][commitment] = Commitment(uint64(block.number), uint64(block.timestamp));
        emit NameCommitted(commitment, msg.sender);
    }

    function claimName(string calldata name, bytes32 salt) external {
        if (!_validName(bytes(name))) revert InvalidName(name);
        bytes32 commitment = commitmentOf(name, msg.sender, salt);
        Commitment memory c = commitments[msg.sender][commitment];
        if (c.blockNumber == 0) revert NoCommitment();
        if (block.number < c.blockNumber + MIN_COMMIT_AGE) revert CommitmentTooNew(c.blockNumber, c.blockNumber + MIN_COMMIT_AGE);
        if (block.timestamp > c.timestamp + MAX_COMMIT_AGE) revert CommitmentExpired(c.timestamp, c.timestamp + MAX_COMMIT_AGE);
        bytes32 nameHash = keccak256(bytes(name));
        if (_owners[nameHash] != address(0)) revert NameTaken(name);
        delete commitments[msg.sender][commitment];
        _owners[nameHash] = msg.sender;
        _names[nameHash] = name;
        moduleCount++;
        emit NameClaimed(nameHash, name, msg.sender);
    }

    function transferName(string calldata name, address to) external onlyOwner(name) {
        if (to == address(0)) revert ZeroAddress();
        bytes32 nameHash = keccak256(bytes(name));
        _owners[nameHash] = to;
        emit NameTransferred(nameHash, name, msg.sender, to);
    }

    /// @notice Publishes a version; a published version never changes.
    function publish(string calldata name, string calldata version, bytes32 contentHash, string calldata packageUri)
        external
        onlyOwner(name)
    {
        if (!_validVersion(bytes(version))) revert InvalidVersion(version);
        if (contentHash == bytes32(0)) revert EmptyContentHash();
        bytes32 nameHash = keccak256(bytes(name));
        Version storage existing = _versions[nameHash][keccak256(bytes(version))];
        if (existing.publishedAt != 0) revert VersionExists(name, version);
        _versions[nameHash][keccak256(bytes(version))] =
            Version({contentHash: contentHash, packageUri: packageUri, publishedAt: uint64(block.timestamp), deprecated: false});
        _versionList[nameHash].push(version);
        emit VersionPublished(nameHash, name, version, contentHash, packageUri);
    }

    function deprecate(string calldata name, string calldata version, string calldata reason) external onlyOwner(name) {
        Version storage v = _published(name, version);
        v.deprecated = true;
        emit VersionDeprecated(keccak256(bytes(name)), name, version, reason);
    }

    /// @notice A host announces that it serves a published version at an endpoint (e.g. grpc://203.0.113.7:7050).
    function announce(string calldata name, string calldata version, string calldata endpoint) external {
        _published(name, version);
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        bytes32 nameHash = keccak256(bytes(name));
        _hosts[nameHash][keccak256(bytes(version))][msg.sender] = endpoint;
        emit HostAnnounced(nameHash, name, version, msg.sender, endpoint);
    }

    function withdraw(string calldata name, string calldata version) external {
        bytes32 nameHash = keccak256(bytes(name));
        bytes32 versionHash = keccak256(bytes(version));
        if (bytes(_hosts[nameHash][versionHash][msg.sender]).length == 0) revert NotAnnounced(name, version, msg.sender);
        delete _hosts[nameHash][versionHash][msg.sender];
        emit HostWithdrawn(nameHash, name, version, msg.sender);
    }

    function ownerOf(string calldata name) external view returns (address) {
        return _owners[keccak256(bytes(name))];
    }

    /// @notice The owner by the name's hash, keccak256(name): for a caller that has the hash already
    ///         (the call escrow, on every redemption), so the name need not be sent and hashed again.
    function ownerOfHash(bytes32 nameHash) external view returns (address) {
        return _owners[nameHash];
    }

    function exists(bytes32 nameHash) external view returns (bool) {
        return _owners[nameHash] != address(0);
    }

    function getVersion(string calldata name, string calldata version)
        external
        view
        returns (bytes32 contentHash, string memory packageUri, uint64 publishedAt, bool deprecated)
    {
        Version storage v = _published(name, version);
        return (v.contentHash, v.packageUri, v.publishedAt, v.deprecated);
    }

    function versions(string calldata name) external view returns (string[] memory) {
        return _versionList[keccak256(bytes(name))];
    }

    function hostEndpoint(string calldata name, string calldata version, address host) external view returns (string memory) {
        return _hosts[keccak256(bytes(name))][keccak256(bytes(version))][host];
    }

    function _published(string calldata name, string calldata version) private view returns (Version storage v) {
        v = _versions[keccak256(bytes(name))][keccak256(bytes(version))];
        if (v.publishedAt == 0) revert UnknownVersion(name, version);
    }

    /// @dev Semantic Versioning 2.0.0 exactly, at most 64 bytes: MAJOR.MINOR.PATCH, numbers without
    ///      leading zeros; then optionally -prerelease, dot-separated non-empty identifiers of
    ///      [0-9A-Za-z-], a numeric one without leading zeros; then optionally +build, dot-separated
    ///      non-empty identifiers of [0-9A-Za-z-] (one '+' only: it is not in the identifier set).
    ///      Every client resolves and orders versions by these rules, so a version they would parse
    ///      differently, or not at all, must never become an immutable record on chain.
    function _validVersion(bytes calldata v) private pure returns (bool) {
        uint256 n = v.length;
        if (n == 0 || n > 64) return false;
        uint256 i = 0;
        for (uint256 part = 0; part < 3; part++) {
            uint256 start = i;
            while (i < n && _isDigit(v[i])) i++;
            if (i == start || (v[start] == "0" && i - start > 1)) return false;
            if (part < 2) {
                if (i == n || v[i] != ".") return false;
                i++;
            }
        }
        if (i == n) return true;
        if (v[i] == "-") {
            // Prerelease identifiers; the loop ends at the end of the string or at a '+'.
            while (true) {
                uint256 start = ++i;
                bool numeric = true;
                while (i < n && _isIdentifierChar(v[i])) {
                    if (!_isDigit(v[i])) numeric = false;
                    i++;
                }
                if (i == start || (numeric && v[start] == "0" && i - start > 1)) return false;
                if (i == n) return true;
                if (v[i] == "+") break;
                if (v[i] != ".") return false;
            }
        }
        if (v[i] != "+") return false;
        // Build identifiers run to the end; leading zeros are allowed there.
        uint256 from = ++i;
        for (; i < n; i++) {
            if (v[i] == ".") {
                if (i == from) return false;
                from = i + 1;
            } else if (!_isIdentifierChar(v[i])) {
                return false;
            }
        }
        return i > from; // the last identifier is not empty
    }

    function _isDigit(bytes1 c) private pure returns (bool) {
        return c >= "0" && c <= "9";
    }

    function _isIdentifierChar(bytes1 c) private pure returns (bool) {
        return (c >= "0" && c <= "9") || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "-";
    }

    /// @dev Dotted lowercase names: parts of [a-z0-9_-], separated by single dots, 1-128 bytes.
    function _validName(bytes calldata name) private pure returns (bool) {
        if (name.length == 0 || name.length > 128 || name[0] == "." || name[name.length - 1] == ".") return false;
        for (uint256 i = 0; i < name.length; i++) {
            bytes1 c = name[i];
            bool ok = (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
                || (c == "." && name[i - 1] != ".");
            if (!ok) return false;
        }
        return true;
    }
}
