// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A reference check of Semantic Versioning 2.0.0 (at most 64 bytes), written apart from
///         ModuleRegistry._validVersion and in another way (split at '+', then at the first '-',
///         then at dots) so that one does not share the other's mistakes. Its own test holds it to
///         the shared vectors in tests/vectors/module-versions.json.
library SemVer {
    function isValid(bytes memory v) internal pure returns (bool) {
        if (v.length == 0 || v.length > 64) return false;
        (bytes memory head, bytes memory build, bool hasBuild) = _splitFirst(v, "+");
        if (hasBuild && !_identifiers(build, false)) return false;
        (bytes memory core, bytes memory pre, bool hasPre) = _splitFirst(head, "-");
        if (hasPre && !_identifiers(pre, true)) return false;
        bytes[] memory numbers = _split(core, ".");
        if (numbers.length != 3) return false;
        for (uint256 k = 0; k < 3; k++) {
            if (!_isNumber(numbers[k])) return false;
        }
        return true;
    }

    /// @dev Dot-separated, non-empty identifiers of [0-9A-Za-z-]; numeric ones without leading zeros
    ///      when `numericStrict` (prerelease), any digits otherwise (build).
    function _identifiers(bytes memory s, bool numericStrict) private pure returns (bool) {
        bytes[] memory ids = _split(s, ".");
        for (uint256 k = 0; k < ids.length; k++) {
            bytes memory id = ids[k];
            if (id.length == 0) return false;
            bool allDigits = true;
            for (uint256 j = 0; j < id.length; j++) {
                bytes1 c = id[j];
                bool digit = c >= "0" && c <= "9";
                if (!(digit || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "-")) return false;
                allDigits = allDigits && digit;
            }
            if (numericStrict && allDigits && !_isNumber(id)) return false;
        }
        return true;
    }

    function _isNumber(bytes memory s) private pure returns (bool) {
        if (s.length == 0 || (s.length > 1 && s[0] == "0")) return false;
        for (uint256 j = 0; j < s.length; j++) {
            if (s[j] < "0" || s[j] > "9") return false;
        }
        return true;
    }

    function _splitFirst(bytes memory s, bytes1 separator) private pure returns (bytes memory, bytes memory, bool) {
        for (uint256 j = 0; j < s.length; j++) {
            if (s[j] == separator) return (_slice(s, 0, j), _slice(s, j + 1, s.length), true);
        }
        return (s, "", false);
    }

    function _split(bytes memory s, bytes1 separator) private pure returns (bytes[] memory parts) {
        uint256 count = 1;
        for (uint256 j = 0; j < s.length; j++) {
            if (s[j] == separator) count++;
        }
        parts = new bytes[](count);
        uint256 from = 0;
        uint256 k = 0;
        for (uint256 j = 0; j <= s.length; j++) {
            if (j == s.length || s[j] == separator) {
                parts[k++] = _slice(s, from, j);
                from = j + 1;
            }
        }
    }

    function _slice(bytes memory s, uint256 from, uint256 to) private pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 j = from; j < to; j++) {
            out[j - from] = s[j];
        }
    }
}
