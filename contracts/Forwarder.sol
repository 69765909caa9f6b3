// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/**
 * @title TwinForwarder
 * @notice OpenZeppelin's ERC-2771 forwarder under the EIP-712 domain name "TwinForwarder": a relayer submits a
 * user's signed request and the registry contracts act for that user, so no service holds a user's key.
 */
contract TwinForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("TwinForwarder") {}
}
