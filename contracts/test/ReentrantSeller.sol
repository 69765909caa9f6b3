// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEntityRegistry} from "../interfaces/IEntityRegistry.sol";
import {ITwinRegistry} from "../interfaces/ITwinRegistry.sol";

/**
 * @title ReentrantSeller
 * @notice Test double only: a registered entity contract that, when paid its proceeds, either tries to re-enter
 * the registry (withdraw or buy), recording the error it met, or refuses the payment, to prove the registry's reentrancy and failed-transfer paths.
 */
contract ReentrantSeller {
    enum Mode {
        Accept,
        ReenterWithdraw,
        ReenterBuy,
        Refuse
    }

    ITwinRegistry private immutable _twins;
    Mode public mode;
    uint256 public targetDeviceId;
    bytes public lastReentryError;

    constructor(ITwinRegistry twins) {
        _twins = twins;
    }

    function register(IEntityRegistry entities, IEntityRegistry.EntityRole role) external {
        entities.register(role, "reentrant test seller", bytes32(0), "");
    }

    function setMode(Mode newMode, uint256 deviceId) external {
        mode = newMode;
        targetDeviceId = deviceId;
    }

    function list(uint256 deviceId, uint96 price) external {
        _twins.list(deviceId, price);
    }

    function withdraw() external {
        _twins.withdraw();
    }

    receive() external payable {
        if (mode == Mode.Refuse) revert("refused");
        if (mode == Mode.ReenterWithdraw) {
            try _twins.withdraw() {} catch (bytes memory reason) {
                lastReentryError = reason;
            }
        } else if (mode == Mode.ReenterBuy) {
            try _twins.buy{value: msg.value}(targetDeviceId) {} catch (bytes memory reason) {
                lastReentryError = reason;
            }
        }
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}
